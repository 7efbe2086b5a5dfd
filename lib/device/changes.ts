import { SysdbError } from './errors.js';
import type { Row, Value } from './ovsdb/datum.js';
import { OBSERVED, READ_ONLY_TABLES, type SchemaInfo, type TableInfo } from './schema.js';
import { hide, isKeepMarker, isSecret, KEEP_SECRET, redactRow, SECRET_COLUMNS } from './secrets.js';
import { checkValue } from './values.js';

/** One row-level difference between the desired state and the database. */
export type Change =
  | { op: 'create'; table: string; key: string; values: Record<string, Value> }
  | { op: 'modify'; table: string; key: string; uuid: string; set: Record<string, { from: Value; to: Value }> }
  | { op: 'delete'; table: string; key: string; uuid: string; values: Record<string, Value> };

export type CurrentRows = (table: string) => Row[];

const SINGLETON_KEY = '.';

export function configColumns(t: TableInfo): string[] {
  const observed = OBSERVED[t.name] ?? [];
  return [...t.columns.keys()].filter((c) => c !== '_uuid' && c !== 'name' && !observed.includes(c));
}

function keyOf(t: TableInfo, row: Row): string {
  return t.keyed ? String(row.name) : SINGLETON_KEY;
}

function sameValue(a: Value | undefined, b: Value | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Validates a state document ({table: {name: {column: value}}}, or {column: value} for one-row tables). */
export function parseState(schema: SchemaInfo, doc: unknown): Map<TableInfo, Map<string, Record<string, Value>>> {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new SysdbError('BAD_STATE_FILE', 'state must be a JSON object of tables');
  const out = new Map<TableInfo, Map<string, Record<string, Value>>>();
  for (const [tableName, body] of Object.entries(doc)) {
    const t = schema.table(tableName);
    if (READ_ONLY_TABLES.has(t.name)) throw new SysdbError('BAD_STATE_FILE', `${t.alias} is written by the system, not by a state file`);
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new SysdbError('BAD_STATE_FILE', `${t.alias}: expected an object`);
    const rows = new Map<string, Record<string, Value>>();
    const entries = t.singleton ? [[SINGLETON_KEY, body]] : Object.entries(body);
    for (const [key, cols] of entries) {
      if (!cols || typeof cols !== 'object' || Array.isArray(cols)) throw new SysdbError('BAD_STATE_FILE', `${t.alias} ${key}: expected an object of columns`);
      const values: Record<string, Value> = {};
      for (const [c, v] of Object.entries(cols as Record<string, unknown>)) {
        const column = schema.writableColumn(t, c);
        // export's stand-in for a secret: diffState keeps the row's value
        values[c] = isSecret(t.name, c) && isKeepMarker(v) ? (KEEP_SECRET as unknown as Value) : checkValue(t, column, v);
      }
      for (const c of configColumns(t)) {
        if (values[c] === undefined && !t.columns.get(c)!.optional) throw new SysdbError('BAD_STATE_FILE', `${t.alias} ${key}: missing required column "${c}"`);
      }
      if (t.keyed) values.name = checkValue(t, t.columns.get('name')!, key);
      rows.set(key as string, values);
    }
    out.set(t, rows);
  }
  return out;
}

/** Declarative diff: tables named in the state are complete, so unlisted rows are deleted and unlisted optional columns cleared. */
export function diffState(state: Map<TableInfo, Map<string, Record<string, Value>>>, current: CurrentRows): Change[] {
  const changes: Change[] = [];
  for (const [t, desired] of state) {
    const existing = new Map(current(t.name).map((r) => [keyOf(t, r), r]));
    for (const [key, wanted] of desired) {
      const row = existing.get(key);
      const values = keepSecrets(t, key, wanted, row);
      if (!row) {
        changes.push({ op: 'create', table: t.name, key, values });
        continue;
      }
      const set: Record<string, { from: Value; to: Value }> = {};
      for (const c of configColumns(t)) {
        if (!sameValue(row[c], values[c])) set[c] = { from: row[c] ?? null, to: values[c] ?? null };
      }
      if (Object.keys(set).length) changes.push({ op: 'modify', table: t.name, key, uuid: row._uuid, set });
    }
    for (const [key, row] of existing) if (!desired.has(key)) changes.push(deleteChange(t, key, row));
  }
  return changes;
}

/** Resolves export's {"secret":"unchanged"} to the value the row has (there must be one). */
function keepSecrets(t: TableInfo, key: string, values: Record<string, Value>, row: Row | undefined): Record<string, Value> {
  const out = { ...values };
  for (const [c, v] of Object.entries(values)) {
    if (!isKeepMarker(v)) continue;
    if (row?.[c] === null || row?.[c] === undefined)
      throw new SysdbError(
        'BAD_STATE_FILE',
        `${t.alias} ${key}: ${c} is {"secret":"unchanged"}, but there is no value to keep (sysdb export --secrets carries it)`,
      );
    out[c] = row[c];
  }
  return out;
}

/** The audit entry of a delete keeps the row's configuration, so what was removed can be read back. */
function deleteChange(t: TableInfo, key: string, row: Row): Change {
  const values = Object.fromEntries(
    configColumns(t)
      .filter((c) => row[c] !== null && row[c] !== undefined)
      .map((c) => [c, row[c]]),
  );
  return { op: 'delete', table: t.name, key, uuid: row._uuid, values };
}

/**
 * Defaults `sysdb set` fills in when it creates a row (documented in lib/device/README.md): a VM gets
 * the lowest free id from 1, 1 vCPU, 256 MiB and state stop; a container the lowest free id and
 * state stop. VMs and containers share the ids (each is the host interface vi<id> on the bridge), so
 * "free" means unused by either. Other tables have no defaults.
 */
export function createDefaults(t: TableInfo, current: CurrentRows): Record<string, Value> {
  if (t.name !== 'VirtualMachine' && t.name !== 'Container') return {};
  const used = new Set([...current('VirtualMachine'), ...current('Container')].map((r) => r.id));
  let id = 1;
  while (used.has(id)) id++;
  return t.name === 'VirtualMachine' ? { id, vcpus: 1, memory: 256, state: 'stop' } : { id, state: 'stop' };
}

/** `sysdb set`: one column of one row; creates the row from defaults when the other required columns have one. */
export function setChange(t: TableInfo, key: string, column: string, value: Value, current: CurrentRows): Change[] {
  const rows = current(t.name);
  const row = rows.find((r) => keyOf(t, r) === (t.keyed ? key : SINGLETON_KEY));
  if (row)
    return sameValue(row[column], value)
      ? []
      : [{ op: 'modify', table: t.name, key, uuid: row._uuid, set: { [column]: { from: row[column] ?? null, to: value } } }];
  // Setting a name renames a row; there is nothing to rename (the audit entry would name the row by
  // one name and the database by the other).
  if (column === 'name') throw new SysdbError('NOT_FOUND', `${t.alias} ${key} does not exist (setting its name renames a row)`);
  const values: Record<string, Value> = { ...createDefaults(t, current), [column]: value };
  const missing = configColumns(t).filter((c) => values[c] === undefined && !t.columns.get(c)!.optional);
  if (missing.length) throw new SysdbError('NOT_FOUND', `${t.alias} ${key} does not exist; creating it needs ${missing.join(', ')} too (use sysdb apply)`);
  return [{ op: 'create', table: t.name, key, values: t.keyed ? { name: key, ...values } : values }];
}

/** `sysdb del TABLE NAME`. */
export function delChange(t: TableInfo, key: string, current: CurrentRows): Change[] {
  if (t.singleton) throw new SysdbError('USAGE', `${t.alias} has one row; clear its columns with sysdb set ${t.alias} COLUMN none`);
  const row = current(t.name).find((r) => keyOf(t, r) === key);
  if (!row) throw new SysdbError('NOT_FOUND', `${t.alias} ${key} does not exist`);
  return [deleteChange(t, key, row)];
}

/**
 * The configuration of some tables in the `apply` format: applying it back changes nothing. Secrets
 * are written as {"secret":"unchanged"} (apply keeps the value) unless `secrets` asks for them.
 */
export function exportState(tables: TableInfo[], current: CurrentRows, secrets = false): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  for (const t of tables) {
    const rows = current(t.name).sort((a, b) => String(a.name).localeCompare(String(b.name)));
    const config = (r: Row) => {
      const values = Object.fromEntries(
        configColumns(t)
          .sort()
          .filter((c) => r[c] !== null && r[c] !== undefined)
          .map((c) => [c, r[c]]),
      );
      return secrets ? values : redactRow(t.name, values, KEEP_SECRET);
    };
    if (t.singleton) {
      if (rows[0]) doc[t.alias] = config(rows[0]);
    } else doc[t.alias] = Object.fromEntries(rows.map((r) => [String(r.name), config(r)]));
  }
  return doc;
}

function show(v: Value): string {
  return v === null ? 'none' : typeof v === 'string' ? v : JSON.stringify(v);
}

export function describeChange(change: Change, schema: SchemaInfo): string {
  const [c] = redactChanges([change]);
  const label = `${schema.table(c.table).alias} ${c.key}`;
  switch (c.op) {
    case 'create':
      return `+ ${label}: ${Object.entries(c.values)
        .filter(([k]) => k !== 'name')
        .map(([k, v]) => `${k}=${show(v)}`)
        .join(' ')}`;
    case 'modify':
      return `~ ${label}: ${Object.entries(c.set)
        .map(([k, d]) => `${k} ${show(d.from)} -> ${show(d.to)}`)
        .join(', ')}`;
    case 'delete':
      return `- ${label}`;
  }
}

/** The changes as the audit log and the CLI's diff print them: a secret's change is recorded, not its value. */
export function redactChanges(changes: Change[]): Change[] {
  return changes.map((c) => {
    if (!SECRET_COLUMNS[c.table]) return c;
    if (c.op === 'modify')
      return {
        ...c,
        set: Object.fromEntries(Object.entries(c.set).map(([k, d]) => [k, isSecret(c.table, k) ? { from: hide(d.from), to: hide(d.to) } : d])),
      };
    return { ...c, values: redactRow(c.table, c.values) };
  });
}
