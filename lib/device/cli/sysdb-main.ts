import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { configColumns, delChange, describeChange, diffState, exportState, parseState, setChange, type Change } from '../changes.js';
import { commitChanges, commitWithRetry, selectAll } from '../commit.js';
import { SysdbError } from '../errors.js';
import { DEFAULT_TIMEOUT_MS, OvsdbClient } from '../ovsdb/client.js';
import type { Row } from '../ovsdb/datum.js';
import { DEVICE_SOCKET } from '../ovsdb/remote.js';
import { DB_NAME, OBSERVED, READ_ONLY_TABLES, SchemaInfo, type RawSchema, type TableInfo } from '../schema.js';
import { isSecret, redactRow } from '../secrets.js';
import { parseValue } from '../values.js';
import { auditVerb } from './audit-verbs.js';
import { buildEpoch, canonicalizeVerb } from './canonicalize-verb.js';
import { formatTable } from './format-table.js';
import { IMAGE_USAGE, imageVerb, refuseImageOverSsh } from './image-verb.js';
import type { Io } from './io.js';
import { checkSchemaFile } from './schema-check.js';
import { seedVerb } from './seed-verb.js';
import { guardSession } from './session-guard.js';
import { protectNegatives, unmark } from './negative-values.js';
import { runOverSsh } from './ssh-remote.js';
import { waitForAgents } from './wait-status.js';
import { who } from './who.js';

export type { Io } from './io.js';
export const DEFAULT_REMOTE = `unix:${DEVICE_SOCKET}`;

const USAGE = `usage: sysdb [--remote unix:PATH|tcp:HOST:PORT|ssh://[USER@]HOST[:PORT]] [--timeout SECONDS] [--schema FILE] COMMAND
  show TABLE [--json] [--secrets]     list rows (tables: system interface wifi user vm storage telemetry audit)
  set TABLE NAME COLUMN VALUE         set one column ("none" clears; "-" reads a secret from stdin);
                                      one-row tables: set system COLUMN VALUE
  del TABLE NAME                      delete one row
  query TABLE [NAME] | export [TABLE...] [--secrets]   print configuration in the apply format
                                      (secrets as {"secret":"unchanged"}, which apply keeps)
  apply STATE.json|- [--dry-run] [--wait]  make the tables named in STATE match it; print the diff
  (set/del/apply over ssh refuse a change that would cut the session they came over; --force does it)
  audit [--who W] [--table T] [--last N] | audit show N | audit verify [--anchor FILE]
  canonicalize DB-FILE                rewrite an offline database file reproducibly (image builds;
                                      needs SOURCE_DATE_EPOCH, which also dates audit entries)
  seed DB-FILE STATE.json             create an image's database: apply STATE through a private
                                      server, verify the audit log, canonicalize (SOURCE_DATE_EPOCH)
${IMAGE_USAGE}`;

const OPTIONS = {
  remote: { type: 'string', short: 'r' },
  timeout: { type: 'string' },
  schema: { type: 'string' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  wait: { type: 'boolean' },
  who: { type: 'string' },
  table: { type: 'string' },
  last: { type: 'string' },
  anchor: { type: 'string' },
  force: { type: 'boolean' },
  secrets: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Options = {
  remote: string;
  timeoutMs: number;
  schema?: string;
  dryRun: boolean;
  json: boolean;
  wait: boolean;
  waitMs: number;
  force: boolean;
  /** show/export/query print secret columns' values (secrets.ts) */
  secrets: boolean;
  /** the audit entry's who, when a program on the device writes for someone else (provisioning) */
  who?: string;
};

async function withClient<T>(o: Options, fn: (c: OvsdbClient, s: SchemaInfo) => Promise<T>): Promise<T> {
  const client = new OvsdbClient({ remote: o.remote, timeoutMs: o.timeoutMs });
  try {
    await client.start();
    const raw = (await client.getSchema(DB_NAME)) as RawSchema;
    const schema = new SchemaInfo(raw);
    if (o.schema) await checkSchemaFile(o.schema, raw);
    return await fn(client, schema);
  } finally {
    client.close();
  }
}

/** Computes the changes from fresh rows and commits them with their audit entry, retrying on conflicts. */
async function write(client: OvsdbClient, schema: SchemaInfo, o: Options, io: Io, compute: (current: (t: string) => Row[]) => Change[]): Promise<number> {
  let committed: Change[] = [];
  let seq: number | undefined;
  await commitWithRetry(
    client,
    async () => {
      const cache = new Map<string, Row[]>();
      for (const t of schema.tables.keys()) if (!READ_ONLY_TABLES.has(t)) cache.set(t, await selectAll(client, t));
      return compute((t) => cache.get(t) ?? []);
    },
    async (changes, system) => {
      committed = changes;
      if (!changes.length || o.dryRun) return undefined;
      guardSession(changes, o.force);
      const epoch = buildEpoch();
      seq = await commitChanges(client, changes, o.who ?? who(), system, epoch === undefined ? undefined : new Date(epoch * 1000));
      return seq;
    },
  );
  if (!committed.length) {
    io.out('no changes');
    return 0;
  }
  for (const c of committed) io.out(describeChange(c, schema));
  if (o.dryRun) {
    io.out(`dry run: ${committed.length} change(s) not applied`);
    return 0;
  }
  io.out(`applied ${committed.length} change(s) (audit entry ${seq})`);
  return o.wait ? waitForAgents(client, schema, committed, o.waitMs, io) : 0;
}

function configTables(schema: SchemaInfo, names: string[]): TableInfo[] {
  const all = [...schema.tables.values()].filter((t) => !READ_ONLY_TABLES.has(t.name));
  return names.length ? names.map((n) => schema.table(n)).filter((t) => all.includes(t)) : all;
}

async function readState(path: string, io: Io): Promise<unknown> {
  let text: string;
  try {
    if (path === '-' && !io.stdin) throw new SysdbError('USAGE', 'apply -: no standard input here');
    text = path === '-' ? await io.stdin!() : await readFile(path, 'utf8');
  } catch (e) {
    throw new SysdbError('BAD_STATE_FILE', `cannot read ${path === '-' ? 'stdin' : path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SysdbError('BAD_STATE_FILE', `${path === '-' ? 'stdin' : path} is not valid JSON: ${(e as Error).message}`);
  }
}

async function run(cmd: string, rest: string[], o: Options, opt: Record<string, unknown>, io: Io): Promise<number> {
  switch (cmd) {
    case 'show':
      if (rest.length !== 1) throw new SysdbError('USAGE', 'show takes one TABLE');
      return withClient(o, async (client, schema) => {
        const t = schema.table(rest[0]);
        const rows = (await selectAll(client, t.name)).map((r) => (o.secrets ? r : redactRow(t.name, r)));
        if (o.json) {
          io.out(JSON.stringify(rows, null, 2));
          return 0;
        }
        // Configuration first, then what the agents observed; the server's column order is a hash order.
        const cols = [...configColumns(t).sort(), ...(OBSERVED[t.name] ?? []).filter((c) => t.columns.has(c))];
        io.out(formatTable(t.keyed ? ['name', ...cols] : cols, sortRows(rows, t.name)));
        return 0;
      });
    case 'set':
      return withClient(o, async (client, schema) => {
        const t = schema.table(rest[0] ?? '');
        const [key, column, text] = t.singleton ? ['.', ...rest.slice(1)] : rest.slice(1);
        if (text === undefined || rest.length !== (t.singleton ? 3 : 4))
          throw new SysdbError('USAGE', t.singleton ? `usage: sysdb set ${t.alias} COLUMN VALUE` : `usage: sysdb set ${t.alias} NAME COLUMN VALUE`);
        // A secret on the command line stays in ps and the shell's history: "-" reads it from stdin.
        const given = text === '-' && isSecret(t.name, column) ? await secretFromStdin(io) : text;
        const value = parseValue(t, schema.writableColumn(t, column), given);
        if (t.keyed) parseValue(t, t.columns.get('name')!, key);
        return write(client, schema, o, io, (current) => setChange(t, key, column, value, current));
      });
    case 'del':
      if (rest.length !== 2) throw new SysdbError('USAGE', 'usage: sysdb del TABLE NAME');
      return withClient(o, async (client, schema) => {
        const t = schema.table(rest[0]);
        if (READ_ONLY_TABLES.has(t.name)) throw new SysdbError('USAGE', `${t.alias} is written by the system`);
        return write(client, schema, o, io, (current) => delChange(t, rest[1], current));
      });
    case 'query':
    case 'export':
      if (cmd === 'query' && (rest.length < 1 || rest.length > 2)) throw new SysdbError('USAGE', 'usage: sysdb query TABLE [NAME]');
      return withClient(o, async (client, schema) => {
        const tables = configTables(schema, cmd === 'query' ? [rest[0]] : rest);
        if (!tables.length) throw new SysdbError('USAGE', `${rest[0]} is not a configuration table`);
        const current = new Map<string, Row[]>();
        for (const t of tables) current.set(t.name, await selectAll(client, t.name));
        const doc = exportState(tables, (t) => current.get(t) ?? [], o.secrets);
        if (cmd === 'query' && rest[1] !== undefined) {
          const rows = doc[tables[0].alias] as Record<string, unknown>;
          if (!(rest[1] in rows)) throw new SysdbError('NOT_FOUND', `${tables[0].alias} ${rest[1]} does not exist`);
          io.out(JSON.stringify({ [tables[0].alias]: { [rest[1]]: rows[rest[1]] } }, null, 2));
        } else io.out(JSON.stringify(doc, null, 2));
        return 0;
      });
    case 'apply': {
      if (rest.length !== 1) throw new SysdbError('USAGE', 'apply takes one STATE.json (or - for stdin)');
      const doc = await readState(rest[0], io);
      return withClient(o, async (client, schema) => {
        const state = parseState(schema, doc);
        return write(client, schema, o, io, (current) => diffState(state, current));
      });
    }
    case 'canonicalize':
      return canonicalizeVerb(rest, io);
    case 'image':
      return imageVerb(rest, io, (name) =>
        withClient(o, async (client) => (await selectAll(client, 'Container')).filter((r) => r.image === name && r.state === 'run').map((r) => String(r.name))),
      );
    case 'seed':
      return seedVerb(rest, o.schema, io, async (remote) => {
        const via = { ...o, remote };
        const code = await run('apply', rest.slice(1), via, opt, io);
        return code || run('audit', ['verify'], via, opt, io);
      });
    case 'audit':
      return withClient(o, (client) =>
        auditVerb(
          client,
          rest,
          {
            who: opt.who as string,
            table: opt.table as string,
            last: opt.last as string,
            anchor: opt.anchor as string,
            localDevice: o.remote === DEFAULT_REMOTE,
          },
          io,
        ),
      );
    default:
      throw new SysdbError('USAGE', `unknown command "${cmd}"`);
  }
}

/** `by`: who the audit entry names instead of the caller (stalker-provision: `provision:FILE@HOST`). */
export async function runSysdb(argv: string[], io: Io, by: { who?: string } = {}): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: protectNegatives(argv), allowPositionals: true, options: OPTIONS });
  } catch (e) {
    io.err(`sysdb: ${(e as Error).message} (sysdb --help lists the commands and options)`);
    return 2;
  }
  const opt = Object.fromEntries(Object.entries(args.values).map(([k, v]) => [k, typeof v === 'string' ? unmark(v) : v])) as typeof args.values;
  const [cmd, ...rest] = args.positionals.map(unmark);
  if (opt.help || !cmd) {
    (opt.help ? io.out : io.err)(USAGE);
    return opt.help ? 0 : 2;
  }
  try {
    const seconds = opt.timeout === undefined ? undefined : Number(opt.timeout);
    if (seconds !== undefined && !(seconds > 0 && seconds <= 86_400))
      throw new SysdbError('USAGE', `--timeout takes seconds (0 < s <= 86400), not "${opt.timeout}"`);
    const timeoutMs = seconds === undefined ? DEFAULT_TIMEOUT_MS : seconds * 1000;
    const o: Options = {
      remote: opt.remote ?? process.env.SYSDB_REMOTE ?? DEFAULT_REMOTE,
      timeoutMs,
      schema: opt.schema,
      dryRun: !!opt['dry-run'],
      json: !!opt.json,
      wait: !!opt.wait,
      force: !!opt.force,
      secrets: !!opt.secrets,
      who: by.who,
      waitMs: seconds === undefined ? 60_000 : timeoutMs,
    };
    // Over ssh the device runs its own sysdb with these arguments (and writes its own audit entry).
    if (o.remote.startsWith('ssh:') && cmd === 'image') refuseImageOverSsh(rest);
    if (o.remote.startsWith('ssh:')) return await runOverSsh(o.remote, argv, OPTIONS, o.timeoutMs, io);
    return await run(cmd, rest, o, opt, io);
  } catch (e) {
    // Every failure is one line: a SysdbError says what went wrong; anything else is reported, not thrown.
    if (!(e instanceof SysdbError)) {
      io.err(`sysdb: unexpected error: ${(e as Error).message}`);
      return 1;
    }
    io.err(`sysdb: ${e.message}`);
    return e.code === 'USAGE' ? 2 : 1;
  }
}

async function secretFromStdin(io: Io): Promise<string> {
  if (!io.stdin) throw new SysdbError('USAGE', 'set ... -: no standard input to read the secret from');
  const line = (await io.stdin()).split('\n')[0].replace(/\r$/, '');
  if (!line) throw new SysdbError('USAGE', 'set ... -: standard input was empty (give the secret on its first line)');
  return line;
}

function sortRows(rows: Row[], table: string): Row[] {
  return table === 'Audit' ? rows.sort((a, b) => (a.seq as number) - (b.seq as number)) : rows.sort((a, b) => String(a.name).localeCompare(String(b.name)));
}
