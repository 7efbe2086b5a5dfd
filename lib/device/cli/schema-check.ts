import { readFile } from 'node:fs/promises';
import { SysdbError } from '../errors.js';
import { SchemaInfo, type RawSchema } from '../schema.js';

// ovsdb-server serves a normalised schema (keys sorted, defaults dropped, enums sorted), so the two
// are compared through what matters to a client: name, version, and every column's type.
function shape(raw: RawSchema): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, t] of new SchemaInfo(raw).tables) {
    for (const [c, col] of t.columns) {
      const base = Object.fromEntries(
        Object.entries(col.base)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => [k, Array.isArray(v) && v[0] === 'set' ? [...(v[1] as unknown[])].sort() : v]),
      );
      out.set(`${name}.${c}`, JSON.stringify([base, col.optional, col.scalar, col.max ?? null]));
    }
  }
  return out;
}

/** `--schema FILE`: the file the user works from must be the schema the server runs. */
export async function checkSchemaFile(file: string, server: RawSchema): Promise<void> {
  let raw: RawSchema;
  try {
    raw = JSON.parse(await readFile(file, 'utf8')) as RawSchema;
  } catch (e) {
    throw new SysdbError('USAGE', `--schema ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (raw?.name !== server.name || raw?.version !== server.version) {
    throw new SysdbError('BAD_VALUE', `--schema ${file} is ${raw?.name} ${raw?.version}, the server runs ${server.name} ${server.version}`);
  }
  const mine = shape(raw);
  const theirs = shape(server);
  for (const key of new Set([...mine.keys(), ...theirs.keys()])) {
    if (mine.get(key) !== theirs.get(key))
      throw new SysdbError('BAD_VALUE', `--schema ${file}: column ${key} differs from the server's schema (same version: one of them was edited)`);
  }
}
