import { headOf, nextEntry, parseHead } from './audit.js';
import { redactChanges, type Change } from './changes.js';
import { SysdbError } from './errors.js';
import { decodeRow, encodeRow, type Row } from './ovsdb/datum.js';
import type { OvsdbClient } from './ovsdb/client.js';
import type { Condition, Operation } from './ovsdb/protocol.js';
import { DB_NAME, OBSERVED } from './schema.js';

export async function selectAll(client: OvsdbClient, table: string, where: Condition[] = []): Promise<Row[]> {
  const [res] = await client.transact(DB_NAME, [{ op: 'select', table, where }]);
  if (!Array.isArray(res.rows)) throw new SysdbError('BAD_REPLY', `select ${table}: malformed reply (no rows)`);
  return res.rows.map((r) => {
    const uuid = r?._uuid;
    if (!Array.isArray(uuid) || uuid[0] !== 'uuid' || typeof uuid[1] !== 'string')
      throw new SysdbError('BAD_REPLY', `select ${table}: malformed reply (a row without _uuid)`);
    return decodeRow(uuid[1], r);
  });
}

function changeOps(c: Change): Operation {
  switch (c.op) {
    case 'create':
      return { op: 'insert', table: c.table, row: encodeRow(c.values) };
    case 'modify': {
      // The agents' status is cleared with the change it no longer describes: they write it again
      // once they have acted on the new values, which is what `apply --wait` waits for.
      const reset = OBSERVED[c.table]?.includes('status') ? { status: null } : {};
      return {
        op: 'update',
        table: c.table,
        where: [['_uuid', '==', ['uuid', c.uuid]]],
        row: encodeRow({ ...reset, ...Object.fromEntries(Object.entries(c.set).map(([k, d]) => [k, d.to])) }),
      };
    }
    case 'delete':
      return { op: 'delete', table: c.table, where: [['_uuid', '==', ['uuid', c.uuid]]] };
  }
}

/**
 * Applies the changes and their audit entry in one transaction, durably. The next entry is built from
 * System.audit_head alone (never from the Audit table, which grows without bound). The wait on
 * the head makes concurrent writers serialise: the loser's transaction fails with CONFLICT instead
 * of forking the chain, and the caller recomputes and retries (commitWithRetry).
 */
export async function commitChanges(
  client: OvsdbClient,
  changes: Change[],
  who: string,
  system: Row | undefined,
  now?: Date,
  /** Only the audit entry: the changes were already made by a client that wrote no entry (audit agent). */
  recordOnly = false,
): Promise<number> {
  // The entry records that a secret changed, never its value (secrets.ts).
  const entry = nextEntry(parseHead(system?.audit_head as string | null), who, redactChanges(changes), now);
  const head = headOf(entry);
  const ops: Operation[] = [];
  if (system) {
    ops.push({
      op: 'wait',
      table: 'System',
      where: [['_uuid', '==', ['uuid', system._uuid]]],
      columns: ['audit_head'],
      until: '==',
      rows: [encodeRow({ audit_head: system.audit_head ?? null })],
      timeout: 0,
    });
  } else {
    // No System row yet: two first writers would both insert one; the table's maxRows lets only one win.
    ops.push({ op: 'wait', table: 'System', where: [], columns: ['audit_head'], until: '==', rows: [], timeout: 0 });
  }
  for (const c of recordOnly ? [] : changes) {
    ops.push(c.op === 'create' && c.table === 'System' ? { op: 'insert', table: 'System', row: encodeRow({ ...c.values, audit_head: head }) } : changeOps(c));
  }
  const { seq, time, who: by, change, prev, hash } = entry;
  ops.push({ op: 'insert', table: 'Audit', row: encodeRow({ seq, time, who: by, change, prev, hash }) });
  if (system) ops.push({ op: 'update', table: 'System', where: [['_uuid', '==', ['uuid', system._uuid]]], row: encodeRow({ audit_head: head }) });
  else if (recordOnly || !changes.some((c) => c.op === 'create' && c.table === 'System'))
    ops.push({ op: 'insert', table: 'System', row: encodeRow({ audit_head: head }) });
  // Durable: ovsdb-server replies only after the record is fsynced, so a change the CLI reports as
  // applied survives a power cut (without it the reply comes before the page cache reaches the disk).
  ops.push({ op: 'commit', durable: true });
  await client.transact(DB_NAME, ops);
  return entry.seq;
}

export interface RetryOptions {
  attempts?: number;
  baseMs?: number;
  maxMs?: number;
}

/**
 * Reads the current rows, computes the changes and commits them, again on a write conflict: at most
 * `attempts` tries, sleeping a random (full-jitter) share of an exponential backoff in between, so
 * concurrent writers spread out instead of colliding again in lockstep.
 */
export async function commitWithRetry(
  client: OvsdbClient,
  compute: () => Promise<Change[]>,
  apply: (changes: Change[], system: Row | undefined) => Promise<number | undefined>,
  o: RetryOptions = {},
): Promise<void> {
  const attempts = o.attempts ?? 12;
  for (let i = 1; ; i++) {
    const [system] = await selectAll(client, 'System');
    const changes = await compute();
    try {
      await apply(changes, system);
      return;
    } catch (e) {
      if (!(e instanceof SysdbError) || e.code !== 'CONFLICT') throw e;
      if (i >= attempts) throw new SysdbError('CONFLICT', `gave up after ${attempts} attempts: other writers kept changing the database`);
      const cap = Math.min((o.baseMs ?? 10) * 2 ** i, o.maxMs ?? 500);
      await new Promise((r) => setTimeout(r, Math.random() * cap));
    }
  }
}
