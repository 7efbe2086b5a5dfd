// A stalk step: its key parts (from the resolved config, the parent step's key and the needed
// nodes' final keys) and its probe (a hit is an image carrying the key).
import { randomUUID } from 'node:crypto';
import { KEY_VERSION, type ExecutorPart, type StepKeyParts } from '../cache/cache-key.js';
import type { ResolvedStep } from '../config/types.js';

/** The container options every step runs with; they change results, so they are keyed. */
export function executorPart(engineExecutor: string): ExecutorPart {
  return { engine: engineExecutor, network: 'host', user: 'root' };
}

export function stepKeyParts(step: ResolvedStep, parentKey: string, platform: string, needs: Record<string, string>, executor: ExecutorPart): StepKeyParts {
  const parts: StepKeyParts = {
    v: KEY_VERSION,
    kind: 'step',
    platform,
    parent: parentKey,
    script: step.script.sha256,
    args: step.args,
    env: step.env,
    secrets: [...step.secrets].sort(),
    files: Object.fromEntries(step.files.map((f) => [`${f.how}:${f.target}`, `${f.mode.toString(8)}:${f.sha256}`])),
    mounts: Object.fromEntries(step.mounts.map((m) => [m.target, `${m.readOnly ? 'ro' : 'rw'}:${m.sha256}`])),
    needs,
    executor,
  };
  // Only present when used, so the keys of steps without copies stay short.
  if (step.copies.length) parts.copies = step.copies.map((c) => `${c.from}:${c.src} -> ${c.dest}`);
  // A cache:false step still records its parts (for explain), but a fresh nonce means no hit.
  if (!step.cache) parts.nonce = randomUUID();
  return parts;
}
