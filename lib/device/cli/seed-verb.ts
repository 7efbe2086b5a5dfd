import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { execRunner } from '../agents/command-runner.js';
import { SysdbError } from '../errors.js';
import { buildEpoch, canonicalizeVerb } from './canonicalize-verb.js';
import type { Io } from './io.js';

/** Where images install the schema (sysdb.service creates the database from it). */
export const DEVICE_SCHEMA = '/usr/lib/stalker/sysdb.ovsschema';

/**
 * `sysdb seed DB-FILE STATE.json`: the database an image ships, in one run of the CLI (a Node
 * start costs ~2 s under qemu-user; create, apply, verify and canonicalize as separate commands
 * took three). The file is created from the schema, a private ovsdb-server is started on it so the
 * rows go through the same checks and get the same audit entry as any `sysdb apply` (`applyVia`
 * runs apply and audit verify against its socket), the server is stopped, and the file is
 * canonicalized (dated SOURCE_DATE_EPOCH: two builds write the same bytes). An existing DB-FILE is
 * replaced; on failure none is left behind.
 */
export async function seedVerb(rest: string[], schema: string | undefined, io: Io, applyVia: (remote: string) => Promise<number>): Promise<number> {
  if (rest.length !== 2) throw new SysdbError('USAGE', 'usage: sysdb seed DB-FILE STATE.json (with SOURCE_DATE_EPOCH set)');
  if (buildEpoch() === undefined) throw new SysdbError('USAGE', 'seed needs SOURCE_DATE_EPOCH: the date of the audit entry and of every record');
  // absolute paths: neither can reach a tool as an option
  const db = resolve(rest[0]);
  const lock = join(dirname(db), `.${basename(db)}.~lock~`);
  const dir = await mkdtemp(join(tmpdir(), 'sysdb-seed-'));
  const ctl = join(dir, 'ctl');
  const pidFile = join(dir, 'pid');
  let done = false;
  try {
    await Promise.all([db, `${db}.bak`, lock].map((f) => rm(f, { force: true })));
    await tool('ovsdb-tool', ['create', db, resolve(schema ?? DEVICE_SCHEMA)]);
    await tool('ovsdb-server', [
      db,
      `--remote=punix:${join(dir, 'sock')}`,
      `--unixctl=${ctl}`,
      `--pidfile=${pidFile}`,
      '--no-chdir',
      '--detach',
      `--log-file=${join(dir, 'log')}`,
    ]);
    let code: number;
    try {
      code = await applyVia(`unix:${join(dir, 'sock')}`);
    } finally {
      await stop(ctl, pidFile);
    }
    if (code !== 0) return code;
    code = await canonicalizeVerb([db], io);
    done = code === 0;
    return code;
  } finally {
    await rm(lock, { force: true });
    if (!done) await rm(db, { force: true });
    await rm(dir, { recursive: true, force: true });
  }
}

/** A tool through the agents' command runner (its 30 s bound included); a failure is its last stderr lines. */
async function tool(cmd: string, args: string[]): Promise<void> {
  const r = await execRunner().run([cmd, ...args]);
  if (r.code !== 0) throw new SysdbError('COMMAND_FAILED', `${cmd} failed: ${r.stderr.trim().split('\n').slice(-3).join(' ') || `exit ${r.code}`}`);
}

const pidIn = async (file: string) => Number((await readFile(file, 'utf8').catch(() => '')).trim()) || undefined;

/** Asks the server to exit and waits up to 10 s for its pid file to go; then kills it. */
async function stop(ctl: string, pidFile: string): Promise<void> {
  await tool('ovs-appctl', ['-t', ctl, 'exit']).catch(() => undefined);
  for (let i = 0; i < 100; i++) {
    if (!(await pidIn(pidFile))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = await pidIn(pidFile);
  if (pid) process.kill(pid, 'SIGKILL');
  throw new SysdbError('TIMEOUT', 'the seed ovsdb-server did not stop in 10 s (killed)');
}
