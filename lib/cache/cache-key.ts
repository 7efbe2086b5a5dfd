// The cache key of a step: sha256 over a canonical, versioned JSON of everything that can change
// its result. The parts are kept (as an image label) so `explain` can say which one changed.
// Keys chain: a step hashes its parent step's key, so every key of a tree is known from the config
// alone, before anything is pulled or run, and the same on every engine.
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/**
 * Bump when the meaning of a key part changes: every old image then misses, by design.
 * 2: chain keys (parent and needs are keys, not engine-local image ids) and the executor part.
 */
export const KEY_VERSION = 2;

/** Who runs a step and the container options that change its result (network, user). */
export interface ExecutorPart {
  engine: string; // an engine's executor class: engines that declare the same one share hits
  network: string;
  user: string;
}

export interface StepKeyParts {
  v: number;
  kind: 'step';
  platform: string;
  parent: string; // the KEY of the step it starts from (a chain key, never an engine-local image id)
  script: string; // sha256 of the exact script bytes
  args: string[];
  env: Record<string, string>; // resolved vars and env; secrets' values never appear here
  secrets: string[]; // names only
  files: Record<string, string>; // container path -> sha256 (copied and mounted files)
  mounts: Record<string, string>; // container path -> "ro:<sha256>" | "rw:<sha256>"
  needs: Record<string, string>; // needed node -> the KEY of its final step
  copies?: string[]; // "node:/src -> /dest", in order; absent when none (older keys stay valid)
  executor: ExecutorPart;
  nonce?: string; // set only for cache:false steps, so they never hit
}

export interface BootstrapKeyParts {
  v: number;
  kind: 'bootstrap';
  platform: string;
  bootstrap: Record<string, unknown>; // content identity: tarball sha256, mmdebstrap config or pinned image ref
}

export interface WriterKeyParts {
  v: number;
  kind: 'writer';
  input: string; // the KEY of the step whose root filesystem is written
  options: Record<string, unknown>;
  tool: string;
}

export type KeyParts = StepKeyParts | BootstrapKeyParts | WriterKeyParts;

export function cacheKey(parts: KeyParts): string {
  return createHash('sha256').update(canonicalJson(parts)).digest('hex');
}
