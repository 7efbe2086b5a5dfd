// A stalk checked once, independent of the nodes using it: scripts read, mounts hashed, templates
// parsed and their names checked against the stalk's declared vars. Nodes then only substitute.
import type { ParsedTemplate } from './template.js';
import type { CacheMount, Mount, StepScript } from './types.js';

export type Pairs = [string, ParsedTemplate][];

export interface StalkFile {
  target: string;
  mode: number;
  how: 'copy' | 'mount';
  origin: string;
  /** Parsed when the file is a template; else the bytes are used as they are. */
  template?: ParsedTemplate;
  bytes: Buffer;
}

export interface StalkStep {
  name: string;
  script: StepScript;
  args: ParsedTemplate[];
  env: Pairs;
  cache: boolean;
}

export interface StalkModel {
  name: string;
  file: string;
  /** Declared vars with their defaults (null = required). Only these reach the steps. */
  vars: Map<string, string | null>;
  varLine: Map<string, number | undefined>;
  env: Pairs;
  secrets: string[];
  files: StalkFile[];
  mounts: Mount[];
  caches: CacheMount[];
  steps: StalkStep[];
}
