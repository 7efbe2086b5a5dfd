import { headOf, nextEntry, toEntries } from './audit.js';
import type { Change } from './changes.js';
import { decodeRow, encodeRow, type Row } from './ovsdb/datum.js';
import type { OvsdbClient } from './ovsdb/client.js';
import type { Operation } from './ovsdb/protocol.js';
import { DB_NAME } from './schema.js';

export async function selectAll(client: OvsdbClient, table: string): Promise<Row[]> {
  const [res] = await client.transact(DB_NAME, [{ op: 'select', table, where: [] }]);
  return (res.rows ?? []).map((r) => decodeRow((r._uuid as ['uuid', string])[1], r));
}

function changeOps(c: Change): Operation {
  switch (c.op) {
    case 'create':
      return { op: 'insert', table: c.table, row: encodeRow(c.values) };
    case 'modify':
      return { op: 'update', table: c.table, where: [['_uuid', '==', ['uuid', c.uuid]]], row: encodeRow(Object.fromEntries(Object.entries(c.set).map(([k, d]) => [k, d.to]))) };
    case 'delete':
      return { op: 'delete', table: c.table, where: [['_uuid', '==', ['uuid', c.uuid]]] };
  }
}

/**
 * Applies the changes and their audit entry in one transaction. The wait on System.audit_head makes
 * two concurrent writers serialise: the loser's transaction fails instead of forking the chain.
 */
export async function commitChanges(client: OvsdbClient, changes: Change[], who: string): Promise<number> {
  const [system] = await selectAll(client, 'System');
  const audit = toEntries(await selectAll(client, 'Audit'));
  const entry = nextEntry(audit.at(-1), who, changes);
  const head = headOf(entry);
  const ops: Operation[] = [];
  if (system) {
    ops.push({ op: 'wait', table: 'System', where: [['_uuid', '==', ['uuid', system._uuid]]], columns: ['audit_head'], until: '==', rows: [encodeRow({ audit_head: system.audit_head ?? null })], timeout: 0 });
  }
  for (const c of changes) {
    ops.push(c.op === 'create' && c.table === 'System' ? { op: 'insert', table: 'System', row: encodeRow({ ...c.values, audit_head: head }) } : changeOps(c));
  }
  const { seq, time, who: by, change, prev, hash } = entry;
  ops.push({ op: 'insert', table: 'Audit', row: encodeRow({ seq, time, who: by, change, prev, hash }) });
  if (system) ops.push({ op: 'update', table: 'System', where: [['_uuid', '==', ['uuid', system._uuid]]], row: encodeRow({ audit_head: head }) });
  else if (!changes.some((c) => c.op === 'create' && c.table === 'System')) ops.push({ op: 'insert', table: 'System', row: encodeRow({ audit_head: head }) });
  await client.transact(DB_NAME, ops);
  return entry.seq;
}
