// stalker-provision: at boot, applies the provisioning files Imager (or `stalker provision`) left on
// the FAT through the same path as `sysdb apply`, audited as provision:FILE@HOST, then deletes them.
// A broken file is moved off the FAT and the device boots on with its image defaults (exit 0).
import os from 'node:os';
import { parseArgs } from 'node:util';
import { OvsdbClient } from '../ovsdb/client.js';
import { DB_NAME, SchemaInfo, type RawSchema } from '../schema.js';
import { DEFAULT_REMOTE, runSysdb, type Io } from '../cli/sysdb-main.js';
import { findFiles, rejectFiles, removeFiles } from './boot-files.js';
import { mergeState } from './merge.js';
import { formatProblem, PROVISION_FILES, readProvision } from './read-provision.js';

const TAG = 'stalker-provision:';

export interface ProvisionOptions {
  boot: string;
  remote: string;
  rejected: string;
  host?: string;
}

export async function runProvision(o: ProvisionOptions, io: Io): Promise<number> {
  const files = findFiles(o.boot, PROVISION_FILES);
  if (!files.length) return 0;
  const names = files.map((f) => f.name);
  const client = new OvsdbClient({ remote: o.remote, timeoutMs: 10_000 });
  let raw: RawSchema;
  try {
    await client.start();
    raw = (await client.getSchema(DB_NAME)) as RawSchema;
  } catch (e) {
    // The files stay for the next boot: nothing was wrong with them.
    io.err(`${TAG} cannot read the Sysdb schema (${(e as Error).message}): ${names.join(', ')} left for the next boot`);
    return 1;
  } finally {
    client.close();
  }
  const { provision, problems } = readProvision(files, raw);
  if (!provision) {
    for (const p of problems) io.err(`${TAG} ${formatProblem(p)}`);
    const moved = rejectFiles(o.boot, names, o.rejected);
    io.err(`${TAG} ${names.join(', ')} not applied (${problems.length} problem(s)); moved to ${moved.join(', ')}; booting with the image's configuration`);
    return 0;
  }
  const schema = new SchemaInfo(raw);
  const tables = Object.keys(provision.state);
  const singletons = new Set(tables.filter((t) => schema.table(t).singleton));
  const source = provision.sources.join('+');
  let exported = '';
  const sysdbErr: string[] = [];
  const capture: Io = { out: (l) => (exported += `${l}\n`), err: (l) => sysdbErr.push(l) };
  if (tables.length && (await runSysdb(['--remote', o.remote, 'export', ...tables], capture)) !== 0) return failed(sysdbErr, names, io);
  // export writes secrets as {"secret":"unchanged"}, which apply keeps: the secrets never leave the database
  const merged = tables.length ? mergeState(JSON.parse(exported || '{}'), provision.state, singletons) : {};
  const out: string[] = [];
  const who = `provision:${source}@${o.host ?? os.hostname()}`;
  const code = await runSysdb(
    ['--remote', o.remote, 'apply', '-'],
    { out: (l) => out.push(l), err: (l) => sysdbErr.push(l), stdin: async () => JSON.stringify(merged) },
    { who },
  );
  if (code !== 0) return failed(sysdbErr, names, io);
  removeFiles(o.boot, names);
  for (const l of out) if (/^[+~-] /.test(l)) io.out(`${TAG} ${l}`);
  const applied = /^applied (\d+) change\(s\) \(audit entry (\d+)\)$/.exec(out[out.length - 1] ?? '');
  io.out(applied ? `${TAG} applied ${applied[1]} change(s) from ${source} (audit entry ${applied[2]})` : `${TAG} ${source}: no changes`);
  for (const r of provision.refused) io.err(`${TAG} warning: ${r}`);
  return 0;
}

/** The database refused or was unreachable after the files passed every check: keep them for the next boot. */
function failed(errors: string[], names: string[], io: Io): number {
  for (const e of errors) io.err(`${TAG} ${e}`);
  io.err(`${TAG} ${names.join(', ')} not applied; left for the next boot`);
  return 1;
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { boot: { type: 'string' }, remote: { type: 'string' }, rejected: { type: 'string' } },
  });
  const io: Io = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };
  return runProvision(
    {
      boot: values.boot ?? '/boot/firmware',
      remote: values.remote ?? process.env.SYSDB_REMOTE ?? DEFAULT_REMOTE,
      rejected: values.rejected ?? '/var/lib/stalker/provision/rejected',
    },
    io,
  );
}
