// The cache key of a step: sha256 over a canonical, versioned JSON of everything that can change
// its result. The parts are kept (as an image label) so `explain` can say which one changed.
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/** Bump when the meaning of a key part changes: every old image then misses, by design. */
export const KEY_VERSION = 1;

export interface StepKeyParts {
  v: number;
  kind: 'step';
  platform: string;
  parent: string; // image id of the image the step starts from (a digest, never a tag)
  script: string; // sha256 of the exact script bytes
  args: string[];
  env: Record<string, string>; // resolved vars and env; secrets' values never appear here
  secrets: string[]; // names only
  files: Record<string, string>; // container path -> sha256 (copied and mounted files)
  mounts: Record<string, string>; // container path -> "ro:<sha256>" | "rw:<sha256>"
  needs: Record<string, string>; // needed node -> its final image id
  copies?: string[]; // "node:/src -> /dest", in order; absent when none (older keys stay valid)
  options: { network: string; user: string };
  nonce?: string; // set only for cache:false steps, so they never hit
}

export interface BootstrapKeyParts {
  v: number;
  kind: 'bootstrap';
  platform: string;
  bootstrap: Record<string, unknown>;
}

export interface WriterKeyParts {
  v: number;
  kind: 'writer';
  input: string; // image id of the root filesystem written
  options: Record<string, unknown>;
  tool: string;
}

export type KeyParts = StepKeyParts | BootstrapKeyParts | WriterKeyParts;

export function cacheKey(parts: KeyParts): string {
  return createHash('sha256').update(canonicalJson(parts)).digest('hex');
}
