import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { toEntries, verifyChain } from '../audit.js';
import { configColumns, describeChange, diffState, parseState, setChange, type Change } from '../changes.js';
import { commitChanges, selectAll } from '../commit.js';
import { SysdbError } from '../errors.js';
import { OvsdbClient } from '../ovsdb/client.js';
import type { Row } from '../ovsdb/datum.js';
import { DB_NAME, OBSERVED, SchemaInfo, type RawSchema } from '../schema.js';
import { parseValue } from '../values.js';
import { formatTable } from './format-table.js';

export const DEFAULT_REMOTE = 'unix:/run/sysdb/sysdb.sock';
export interface Io { out: (line: string) => void; err: (line: string) => void }

const USAGE = `usage: sysdb [--remote unix:PATH|tcp:HOST:PORT] COMMAND
  show TABLE [--json]                 list rows (tables: system interface vm storage telemetry audit)
  set TABLE NAME COLUMN VALUE         set one column ("none" clears); one-row tables: set system COLUMN VALUE
  apply STATE.json [--dry-run]        make the tables named in STATE match it; print the diff
  audit [verify]                      list the audit log, or check its hash chain`;

function who(): string {
  return `${process.env.SUDO_USER ?? os.userInfo().username}@${os.hostname()}`;
}

async function withClient<T>(remote: string, fn: (c: OvsdbClient, s: SchemaInfo) => Promise<T>): Promise<T> {
  const client = new OvsdbClient({ remote });
  await client.start();
  try {
    return await fn(client, new SchemaInfo((await client.getSchema(DB_NAME)) as RawSchema));
  } finally {
    client.close();
  }
}

async function commit(client: OvsdbClient, schema: SchemaInfo, changes: Change[], dryRun: boolean, io: Io): Promise<void> {
  if (!changes.length) return io.out('no changes');
  for (const c of changes) io.out(describeChange(c, schema));
  if (dryRun) return io.out(`dry run: ${changes.length} change(s) not applied`);
  const seq = await commitChanges(client, changes, who());
  io.out(`applied ${changes.length} change(s) (audit entry ${seq})`);
}

export async function runSysdb(argv: string[], io: Io): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { remote: { type: 'string', short: 'r' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    io.err(`sysdb: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values: opt, positionals: [cmd, ...rest] } = args;
  if (opt.help || !cmd) {
    (opt.help ? io.out : io.err)(USAGE);
    return opt.help ? 0 : 2;
  }
  const remote = opt.remote ?? process.env.SYSDB_REMOTE ?? DEFAULT_REMOTE;
  try {
    switch (cmd) {
      case 'show': {
        if (rest.length !== 1) throw new SysdbError('USAGE', 'show takes one TABLE');
        await withClient(remote, async (client, schema) => {
          const t = schema.table(rest[0]);
          const rows = await selectAll(client, t.name);
          if (opt.json) return io.out(JSON.stringify(rows, null, 2));
          // Configuration first, then what the agents observed; the server's column order is a hash order.
          const cols = [...configColumns(t).sort(), ...(OBSERVED[t.name] ?? [])];
          io.out(formatTable(t.keyed ? ['name', ...cols] : cols, sortRows(rows, t.name)));
        });
        return 0;
      }
      case 'set': {
        await withClient(remote, async (client, schema) => {
          const t = schema.table(rest[0] ?? '');
          const [key, column, text] = t.singleton ? ['.', ...rest.slice(1)] : rest.slice(1);
          if (text === undefined || rest.length !== (t.singleton ? 3 : 4)) throw new SysdbError('USAGE', t.singleton ? `usage: sysdb set ${t.alias} COLUMN VALUE` : `usage: sysdb set ${t.alias} NAME COLUMN VALUE`);
          const value = parseValue(t, schema.writableColumn(t, column), text);
          const current = await selectAll(client, t.name);
          await commit(client, schema, setChange(t, key, column, value, () => current), !!opt['dry-run'], io);
        });
        return 0;
      }
      case 'apply': {
        if (rest.length !== 1) throw new SysdbError('USAGE', 'apply takes one STATE.json');
        const doc = await readState(rest[0]);
        await withClient(remote, async (client, schema) => {
          const state = parseState(schema, doc);
          const current = new Map<string, Row[]>();
          for (const t of state.keys()) current.set(t.name, await selectAll(client, t.name));
          await commit(client, schema, diffState(state, (name) => current.get(name) ?? []), !!opt['dry-run'], io);
        });
        return 0;
      }
      case 'audit':
        return await withClient(remote, (client) => audit(client, rest[0], io));
      default:
        throw new SysdbError('USAGE', `unknown command "${cmd}"`);
    }
  } catch (e) {
    if (!(e instanceof SysdbError)) throw e;
    io.err(`sysdb: ${e.message}`);
    return e.code === 'USAGE' ? 2 : 1;
  }
}

function sortRows(rows: Row[], table: string): Row[] {
  return table === 'Audit' ? rows.sort((a, b) => (a.seq as number) - (b.seq as number)) : rows.sort((a, b) => String(a.name).localeCompare(String(b.name)));
}

async function readState(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new SysdbError('BAD_STATE_FILE', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SysdbError('BAD_STATE_FILE', `${path} is not valid JSON: ${(e as Error).message}`);
  }
}

async function audit(client: OvsdbClient, sub: string | undefined, io: Io): Promise<number> {
  const entries = toEntries(await selectAll(client, 'Audit'));
  if (sub === undefined) {
    for (const e of entries) io.out(`${e.seq} ${e.time} ${e.who} ${e.change}`);
    return 0;
  }
  if (sub !== 'verify') throw new SysdbError('USAGE', `unknown audit command "${sub}" (expected verify)`);
  const [system] = await selectAll(client, 'System');
  const verdict = verifyChain(entries, (system?.audit_head as string | null) ?? null);
  if (verdict.ok) {
    io.out(`audit log intact: ${verdict.entries} entries`);
    return 0;
  }
  for (const p of verdict.problems) io.err(`sysdb: audit: ${p}`);
  return 3;
}
