// Containers left behind by a killed run (SIGKILL, power loss) are found again by label and
// removed, unless the process that made them is still alive (a concurrent build).
import type { Engine } from '../engine/engine-port.js';
import { LABEL, TOOL } from '../engine/labels.js';
import { processAlive } from '../util/process-alive.js';

export async function sweepLeftovers(engine: Engine, tree?: string): Promise<number> {
  const labels: Record<string, string> = { [LABEL.tool]: TOOL };
  if (tree) labels[LABEL.tree] = tree;
  const leftovers = (await engine.containers.list(labels)).filter((c) => !processAlive(Number(c.labels[LABEL.pid])));
  await Promise.all(leftovers.map((c) => engine.containers.remove(c.id)));
  return leftovers.length;
}
