import { SysdbError } from './errors.js';
import { FORMATS, SET_FORMATS } from './formats.js';
import type { Value } from './ovsdb/datum.js';
import type { ColumnInfo, TableInfo } from './schema.js';
import { isSecret, REDACTED } from './secrets.js';

function bad(table: TableInfo, c: ColumnInfo, value: unknown, expected: string): SysdbError {
  const shown = isSecret(table.name, c.name) ? REDACTED : JSON.stringify(value);
  return new SysdbError('BAD_VALUE', `bad value ${shown} for ${table.alias}.${c.name}: expected ${expected}`);
}

/** Checks a JSON value (from a state file, or parsed from the command line) against the column's type. */
export function checkValue(table: TableInfo, c: ColumnInfo, value: unknown): Value {
  // A set column (Interface.ip holds several addresses) takes one value or a list; sets are sorted
  // the way the server returns them, so a set read back compares equal to the one written.
  if (!c.scalar && Array.isArray(value)) {
    const items = [...new Set(value.map((v) => checkValue(table, { ...c, scalar: true }, v)))].sort();
    if (c.max !== undefined && items.length > c.max) throw bad(table, c, value, `at most ${c.max} values`);
    const together = SET_FORMATS[`${table.name}.${c.name}`]?.(items.map(String));
    if (together) throw bad(table, c, value, together);
    return items.length === 0 ? (c.optional ? null : checkValue(table, c, null)) : items.length === 1 ? items[0] : items;
  }
  if (value === null) {
    if (c.optional) return null;
    throw bad(table, c, value, 'a value (the column is required)');
  }
  const b = c.base;
  switch (b.type) {
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw bad(table, c, value, 'an integer');
      if ((b.minInteger !== undefined && value < b.minInteger) || (b.maxInteger !== undefined && value > b.maxInteger)) {
        throw bad(table, c, value, `an integer in ${b.minInteger ?? '-inf'}..${b.maxInteger ?? 'inf'}`);
      }
      break;
    case 'real':
      if (typeof value !== 'number') throw bad(table, c, value, 'a number');
      break;
    case 'boolean':
      if (typeof value !== 'boolean') throw bad(table, c, value, 'true or false');
      break;
    default:
      if (typeof value !== 'string') throw bad(table, c, value, 'a string');
      if (b.minLength !== undefined && value.length < b.minLength) throw bad(table, c, value, `at least ${b.minLength} characters`);
      if (b.maxLength !== undefined && value.length > b.maxLength) throw bad(table, c, value, `at most ${b.maxLength} characters`);
  }
  const allowed = enumValues(b.enum);
  if (allowed && !allowed.includes(value)) throw bad(table, c, value, `one of ${allowed.join(', ')}`);
  const format = FORMATS[`${table.name}.${c.name}`]?.(value as string);
  if (format) throw bad(table, c, value, format);
  return value as Value;
}

function enumValues(e: unknown): unknown[] | undefined {
  if (e === undefined) return undefined;
  return Array.isArray(e) && e[0] === 'set' ? (e[1] as unknown[]) : [e];
}

/** Command-line text to a typed value; "none" clears an optional column. */
export function parseValue(table: TableInfo, c: ColumnInfo, text: string): Value {
  if (text === 'none' && c.optional) return null;
  if (!c.scalar && text.includes(','))
    return checkValue(
      table,
      c,
      text.split(',').map((t) => parseValue(table, { ...c, scalar: true }, t)),
    );
  let value: unknown = text;
  if (c.base.type === 'integer' || c.base.type === 'real') value = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
  if (c.base.type === 'boolean') value = text === 'true' ? true : text === 'false' ? false : text;
  return checkValue(table, c, value);
}
