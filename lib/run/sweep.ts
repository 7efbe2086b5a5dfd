// Containers left behind by a killed run (SIGKILL, power loss) are found again by label and
// removed, unless the process that made them is still alive (a concurrent build).
import { readFileSync } from 'node:fs';
import type { Engine } from '../engine/engine-port.js';
import { LABEL, TOOL } from '../engine/labels.js';

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    // A recycled pid belonging to something else does not keep leftovers alive.
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node');
  } catch {
    return false;
  }
}

export async function sweepLeftovers(engine: Engine, tree?: string): Promise<number> {
  const labels: Record<string, string> = { [LABEL.tool]: TOOL };
  if (tree) labels[LABEL.tree] = tree;
  const leftovers = (await engine.containers.list(labels)).filter((c) => !alive(Number(c.labels[LABEL.pid])));
  await Promise.all(leftovers.map((c) => engine.containers.remove(c.id)));
  return leftovers.length;
}
