import type { Change } from '../changes.js';
import { selectAll } from '../commit.js';
import { SysdbError } from '../errors.js';
import type { OvsdbClient } from '../ovsdb/client.js';
import { OBSERVED, type SchemaInfo } from '../schema.js';
import type { Io } from './io.js';

// Statuses an agent writes while it is still working; anything else is its verdict (a Wi-Fi row
// is "connecting (SCANNING)" and the like until it is associated or says why not).
const IN_PROGRESS = new Set(['pending', 'starting', 'logged-in']);
const inProgress = (s: string) => IN_PROGRESS.has(s) || /^connecting\b/.test(s);
// A VM that crashed or was given up on, a refused value, a failed login: `apply --wait` exits 1.
const isError = (s: string) => /^(error|crashed|failed)\b/.test(s);

/**
 * `apply --wait`: the commit cleared the status of every row it touched, so each created or modified
 * row with a status column is done when an agent has written a final status back. Exit 1 on an error.
 */
export async function waitForAgents(client: OvsdbClient, schema: SchemaInfo, changes: Change[], timeoutMs: number, io: Io): Promise<number> {
  const watched = changes.filter((c) => c.op !== 'delete' && OBSERVED[c.table]?.includes('status'));
  const end = Date.now() + timeoutMs;
  const done = new Map<string, string>();
  while (done.size < watched.length) {
    for (const c of watched) {
      const label = `${schema.table(c.table).alias} ${c.key}`;
      if (done.has(label)) continue;
      const [row] = (await selectAll(client, c.table)).filter((r) => (schema.table(c.table).keyed ? r.name === c.key : true));
      const status = row?.status;
      if (typeof status === 'string' && !inProgress(status)) {
        done.set(label, status);
        io.out(`${label}: ${status}`);
      }
    }
    if (done.size === watched.length) break;
    if (Date.now() > end) {
      const left = watched.map((c) => `${schema.table(c.table).alias} ${c.key}`).filter((l) => !done.has(l));
      throw new SysdbError('TIMEOUT', `agents did not report within ${timeoutMs} ms: ${left.join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return [...done.values()].some(isError) ? 1 : 0;
}
