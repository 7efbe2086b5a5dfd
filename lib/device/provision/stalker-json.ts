import { SysdbError } from '../errors.js';
import type { SchemaInfo } from '../schema.js';
import { jsonErrorPosition, jsonKeyPositions } from './json-positions.js';
import type { Assignment, FormatResult } from './source.js';

export const STALKER_FILE = 'stalker-provision.json';

/** Our own file is a Sysdb state document, the `sysdb apply` format: nothing is refused, anything unknown is an error. */
export function readStalkerJson(text: string, schema: SchemaInfo): FormatResult {
  const result: FormatResult = { assignments: [], refused: [], problems: [] };
  const problem = (message: string, at: { line?: number; column?: number } = {}) => result.problems.push({ file: STALKER_FILE, ...at, message });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    // Node's message may quote the text around the error, which can be a secret: the position says where.
    problem(
      `not valid JSON: ${(e as Error).message.replace(/ in JSON at position \d+.*$/, '').replace(/, ".*" is not valid JSON$/s, '')}`,
      jsonErrorPosition(text, (e as Error).message),
    );
    return result;
  }
  if (!isObject(doc)) {
    problem('expected a JSON object of tables, as sysdb apply takes', { line: 1, column: 1 });
    return result;
  }
  const keys = jsonKeyPositions(text);
  for (const [tableName, body] of Object.entries(doc)) {
    const at = keys.get(tableName) ?? {};
    let t;
    try {
      t = schema.table(tableName);
    } catch (e) {
      problem(e instanceof SysdbError ? e.message : String(e), at);
      continue;
    }
    if (!isObject(body)) {
      problem(`${tableName}: expected an object`, at);
      continue;
    }
    const rows: [string | undefined, unknown, string][] = t.singleton
      ? [[undefined, body, tableName]]
      : Object.entries(body).map(([row, cols]) => [row, cols, `${tableName}/${row}`]);
    for (const [row, cols, path] of rows) {
      if (!isObject(cols)) {
        problem(`${tableName} ${row}: expected an object of columns`, keys.get(path) ?? at);
        continue;
      }
      const before = result.assignments.length;
      for (const [column, value] of Object.entries(cols)) {
        const key = row === undefined ? `${tableName}.${column}` : `${tableName}.${row}.${column}`;
        result.assignments.push({ file: STALKER_FILE, table: t.name, row, column, value, key, at: keys.get(`${path}/${column}`) ?? {} } satisfies Assignment);
      }
      // a row with no columns still names the row (sysdb apply creates it)
      if (result.assignments.length === before)
        result.assignments.push({ file: STALKER_FILE, table: t.name, row, column: '', value: undefined, key: row ?? tableName, at: keys.get(path) ?? at });
    }
  }
  return result;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}
