// The key parts of one step, from the resolved config and the images it starts from.
import { randomUUID } from 'node:crypto';
import { KEY_VERSION, type StepKeyParts } from '../cache/cache-key.js';
import type { ResolvedStep } from '../config/types.js';

export function stepKeyParts(step: ResolvedStep, parent: string, platform: string, needs: Record<string, string>): StepKeyParts {
  const parts: StepKeyParts = {
    v: KEY_VERSION,
    kind: 'step',
    platform,
    parent,
    script: step.script.sha256,
    args: step.args,
    env: step.env,
    secrets: [...step.secrets].sort(),
    files: Object.fromEntries(step.files.map((f) => [`${f.how}:${f.target}`, `${f.mode.toString(8)}:${f.sha256}`])),
    mounts: Object.fromEntries(step.mounts.map((m) => [m.target, `${m.readOnly ? 'ro' : 'rw'}:${m.sha256}`])),
    needs,
    options: { network: 'host', user: 'root' },
  };
  // Only present when used, so the keys of steps without copies are what they always were.
  if (step.copies.length) parts.copies = step.copies.map((c) => `${c.from}:${c.src} -> ${c.dest}`);
  // A cache:false step still records its parts (for explain), but a fresh nonce means no hit.
  if (!step.cache) parts.nonce = randomUUID();
  return parts;
}
