import type { Atom, Datum, TableUpdates, WireRow } from './protocol.js';

// The config tables hold scalars and optional scalars, so JS rows use null for an empty set and
// plain values otherwise; multi-element sets and maps still decode for `sysdb show`.
export type Value = string | number | boolean | null | Value[] | { [k: string]: Value };
export type Row = Record<string, Value> & { _uuid: string };

function decodeAtom(a: Atom): Value {
  return Array.isArray(a) ? a[1] : a;
}

export function decodeDatum(d: Datum): Value {
  if (!Array.isArray(d)) return d;
  if (d[0] === 'set') {
    const items = (d[1] as Atom[]).map(decodeAtom);
    return items.length === 0 ? null : items.length === 1 ? items[0] : items;
  }
  if (d[0] === 'map') {
    return Object.fromEntries((d[1] as [Atom, Atom][]).map(([k, v]) => [String(decodeAtom(k)), decodeAtom(v)]));
  }
  return decodeAtom(d as Atom);
}

export function encodeValue(v: Value | undefined): Datum {
  if (v === null || v === undefined) return ['set', []];
  if (Array.isArray(v)) return ['set', v as Atom[]];
  if (typeof v === 'object') return ['map', Object.entries(v) as [Atom, Atom][]];
  return v;
}

/** A set column's values as strings: none, one (a plain value) or several (an array). */
export function stringsOf(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : v === null || v === undefined ? [] : [String(v)];
}

export function decodeRow(uuid: string, row: WireRow): Row {
  const out: Record<string, Value> = { _uuid: uuid };
  for (const [k, d] of Object.entries(row)) if (k !== '_uuid' && k !== '_version') out[k] = decodeDatum(d);
  return out as Row;
}

export function encodeRow(values: Record<string, Value | undefined>): WireRow {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, encodeValue(v)]));
}

/** A replica of monitored tables, rebuilt from scratch on every initial (re)sync. */
export class TableCache {
  private readonly tables = new Map<string, Map<string, Row>>();

  apply(updates: TableUpdates, initial: boolean): void {
    if (initial) this.tables.clear();
    for (const [table, rows] of Object.entries(updates)) {
      const t = this.tables.get(table) ?? new Map<string, Row>();
      this.tables.set(table, t);
      for (const [uuid, u] of Object.entries(rows)) {
        if (u.new) t.set(uuid, decodeRow(uuid, u.new));
        else t.delete(uuid);
      }
    }
  }

  rows(table: string): Row[] {
    return [...(this.tables.get(table)?.values() ?? [])];
  }
}
