import { readFile, rename, writeFile } from 'node:fs/promises';
import { SysdbError } from '../errors.js';
import { canonicalDb, readDbFile, writeDbFile } from '../ovsdb/db-file.js';
import type { Io } from './io.js';

/**
 * The build clock, when a build sets one (https://reproducible-builds.org/specs/source-date-epoch/):
 * audit entries written while seeding an image carry it instead of the wall clock.
 */
export function buildEpoch(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env.SOURCE_DATE_EPOCH;
  if (text === undefined || text === '') return undefined;
  if (!/^\d{1,11}$/.test(text)) throw new SysdbError('USAGE', `SOURCE_DATE_EPOCH must be whole seconds since 1970, not "${text}"`);
  return Number(text);
}

/**
 * `sysdb canonicalize FILE`: rewrites a database file that no server has open so that it depends
 * only on its rows (db-file.ts), dated SOURCE_DATE_EPOCH. The new file replaces the old atomically.
 */
export async function canonicalizeVerb(rest: string[], io: Io): Promise<number> {
  if (rest.length !== 1) throw new SysdbError('USAGE', 'usage: sysdb canonicalize DB-FILE (with SOURCE_DATE_EPOCH set, no server running on it)');
  const epoch = buildEpoch();
  if (epoch === undefined) throw new SysdbError('USAGE', 'canonicalize needs SOURCE_DATE_EPOCH: the date every record is given');
  const file = rest[0];
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new SysdbError('BAD_STATE_FILE', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const records = canonicalDb(readDbFile(bytes, file), epoch * 1000);
  const tmp = `${file}.canonical`;
  try {
    await writeFile(tmp, writeDbFile(records), { mode: 0o640 });
    await rename(tmp, file);
  } catch (e) {
    throw new SysdbError('BAD_STATE_FILE', `cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  io.out(`${file}: ${records.length} records, dated ${new Date(epoch * 1000).toISOString()}`);
  return 0;
}
