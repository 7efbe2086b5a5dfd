// Whether the stalker process that labelled a container still runs (used by the build's sweep
// and by prune): a recycled pid that is not a node process does not keep a container alive.
import { readFileSync } from 'node:fs';

export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node');
  } catch {
    return false;
  }
}
