import type { Change } from '../changes.js';
import { decodeRow, type Row, type Value } from '../ovsdb/datum.js';
import type { TableUpdates, WireRow } from '../ovsdb/protocol.js';
import { parseHead } from '../audit.js';
import { OBSERVED } from '../schema.js';

/** The configuration tables: what `sysdb` writes with an audit entry in the same transaction. */
export const CONFIG_TABLES = ['System', 'Interface', 'Wifi', 'User', 'VirtualMachine', 'Container', 'Storage'];

const keyOf = (table: string, row: Row | undefined) => (table === 'System' ? '.' : String(row?.name ?? '?'));
const configOf = (table: string, row: Row) =>
  Object.fromEntries(Object.entries(row).filter(([c, v]) => c !== '_uuid' && c !== 'name' && !(OBSERVED[table] ?? []).includes(c) && v !== null)) as Record<
    string,
    Value
  >;

/** What the audit entries of one monitor update say they changed: "table key column" (column * for a whole row). */
export function coveredBy(changes: Change[]): Set<string> {
  const covered = new Set<string>();
  for (const c of changes) {
    if (c.op === 'modify') for (const col of Object.keys(c.set)) covered.add(`${c.table}\u0000${c.key}\u0000${col}`);
    else covered.add(`${c.table}\u0000${c.key}\u0000*`);
  }
  return covered;
}

/**
 * The configuration changes in a monitor update that no audit entry of the same update accounts
 * for: rows written by an OVSDB client other than `sysdb` (ovsdb-client transact, the OVS IDL).
 * ovsdb-server may merge several transactions into one update when a client lags, so coverage is
 * checked per row and column, not per update. Observed columns (status, pid, audit_head...) are
 * the agents' and never count.
 */
export function unauditedChanges(updates: TableUpdates, audited: Change[]): Change[] {
  const covered = coveredBy(audited);
  const isCovered = (table: string, key: string, col: string) => covered.has(`${table}\u0000${key}\u0000${col}`) || covered.has(`${table}\u0000${key}\u0000*`);
  const out: Change[] = [];
  for (const table of CONFIG_TABLES) {
    for (const [uuid, u] of Object.entries(updates[table] ?? {})) {
      const before = u.old ? decodeRow(uuid, u.old) : undefined;
      const after = u.new ? decodeRow(uuid, u.new) : undefined;
      if (after && !u.old) {
        const key = keyOf(table, after);
        if (!isCovered(table, key, '*'))
          out.push({ op: 'create', table, key, values: table === 'System' ? configOf(table, after) : { name: key, ...configOf(table, after) } });
      } else if (before && !after) {
        const key = keyOf(table, before);
        if (!isCovered(table, key, '*')) out.push({ op: 'delete', table, key, uuid, values: configOf(table, before) });
      } else if (before && after) {
        // A modify's "old" holds only the columns that changed; a rename is audited under the old name.
        const key = table === 'System' ? '.' : String(before.name ?? after.name);
        const set: Record<string, { from: Value; to: Value }> = {};
        for (const col of Object.keys(before)) {
          if (col === '_uuid' || (OBSERVED[table] ?? []).includes(col) || isCovered(table, key, col)) continue;
          set[col] = { from: before[col] ?? null, to: after[col] ?? null };
        }
        if (Object.keys(set).length) out.push({ op: 'modify', table, key, uuid, set });
      }
    }
  }
  return out;
}

/** The audit head an update moved, as [before, after] sequence numbers (undefined: it did not move). */
export function headMove(updates: TableUpdates): [number, number] | undefined {
  const seq = (row: WireRow) => parseHead(decodeRow('', row).audit_head as string | null)?.seq ?? 0;
  for (const u of Object.values(updates.System ?? {})) {
    // a modify's "old" names only the columns that changed
    if (u.new && (!u.old || 'audit_head' in u.old)) return [u.old ? seq(u.old) : 0, seq(u.new)];
  }
  return undefined;
}
