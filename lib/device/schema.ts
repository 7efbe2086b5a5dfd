import { SysdbError } from './errors.js';

export const DB_NAME = 'Sysdb';

interface BaseType {
  type: 'string' | 'integer' | 'real' | 'boolean' | 'uuid';
  enum?: unknown;
  minInteger?: number;
  maxInteger?: number;
  minReal?: number;
  maxReal?: number;
  minLength?: number;
  maxLength?: number;
}
interface RawColumn {
  type: string | { key: string | BaseType; value?: unknown; min?: number; max?: number | 'unlimited' };
}
export interface RawSchema {
  name: string;
  version: string;
  tables: Record<string, { columns: Record<string, RawColumn>; maxRows?: number; indexes?: string[][] }>;
}

export interface ColumnInfo {
  name: string;
  base: BaseType;
  optional: boolean;
  scalar: boolean;
  max?: number;
}
export interface TableInfo {
  name: string;
  alias: string;
  singleton: boolean;
  keyed: boolean;
  columns: Map<string, ColumnInfo>;
}

// CLI spellings of the tables; the schema's names are accepted too.
const ALIASES: Record<string, string> = {
  system: 'System',
  interface: 'Interface',
  vm: 'VirtualMachine',
  container: 'Container',
  wifi: 'Wifi',
  user: 'User',
  storage: 'Storage',
  telemetry: 'Telemetry',
  audit: 'Audit',
};
/** Columns the agents own (observed state) or the audit machinery owns: never set by users. */
export const OBSERVED: Record<string, string[]> = {
  System: ['audit_head', 'status', 'audit_anchor'],
  Interface: ['status'],
  Wifi: ['status'],
  User: ['status'],
  VirtualMachine: ['status', 'pid', 'restarts'],
  Container: ['status', 'pid', 'restarts'],
  Storage: ['status', 'device'],
};
export const READ_ONLY_TABLES = new Set(['Telemetry', 'Audit']);

function baseOf(key: string | BaseType): BaseType {
  return typeof key === 'string' ? { type: key as BaseType['type'] } : key;
}

/** The schema as served by ovsdb-server (get_schema), so CLI checks always match the running database. */
export class SchemaInfo {
  readonly tables = new Map<string, TableInfo>();

  constructor(raw: RawSchema) {
    // The schema comes from the server: a malformed one is a bad reply, not a crash.
    const ok =
      raw &&
      typeof raw === 'object' &&
      raw.tables &&
      typeof raw.tables === 'object' &&
      Object.values(raw.tables).every(
        (t) =>
          t &&
          typeof t === 'object' &&
          t.columns &&
          typeof t.columns === 'object' &&
          Object.values(t.columns).every(
            (col) => col && (typeof col.type === 'string' || (typeof col.type === 'object' && col.type !== null && col.type.key !== undefined)),
          ),
      );
    if (!ok) throw new SysdbError('BAD_REPLY', 'get_schema: malformed schema from the server');
    for (const [name, t] of Object.entries(raw.tables)) {
      const columns = new Map<string, ColumnInfo>();
      for (const [c, col] of Object.entries(t.columns)) {
        const type = typeof col.type === 'string' ? { key: col.type } : col.type;
        const max = type.max ?? 1;
        columns.set(c, {
          name: c,
          base: baseOf(type.key),
          optional: (type.min ?? 1) === 0,
          scalar: max === 1 && !type.value,
          max: max === 'unlimited' ? undefined : max,
        });
      }
      const alias = Object.keys(ALIASES).find((k) => ALIASES[k] === name) ?? name.toLowerCase();
      columns.set('_uuid', { name: '_uuid', base: { type: 'uuid' }, optional: false, scalar: true });
      this.tables.set(name, { name, alias, singleton: t.maxRows === 1, keyed: columns.has('name'), columns });
    }
  }

  table(spelling: string): TableInfo {
    const t = this.tables.get(ALIASES[spelling.toLowerCase()] ?? spelling);
    if (!t) throw new SysdbError('UNKNOWN_TABLE', `unknown table "${spelling}" (tables: ${[...this.tables.values()].map((x) => x.alias).join(', ')})`);
    return t;
  }

  writableColumn(table: TableInfo, column: string): ColumnInfo {
    const c = table.columns.get(column);
    const settable = [...table.columns.keys()].filter((k) => k !== '_uuid' && k !== 'name' && !(OBSERVED[table.name] ?? []).includes(k));
    if (!c || column === '_uuid') throw new SysdbError('UNKNOWN_COLUMN', `unknown column "${column}" in ${table.alias} (columns: ${settable.join(', ')})`);
    if (READ_ONLY_TABLES.has(table.name) || (OBSERVED[table.name] ?? []).includes(column)) {
      throw new SysdbError('UNKNOWN_COLUMN', `${table.alias}.${column} is observed state written by the agents, not configuration`);
    }
    return c;
  }
}
