import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SysdbError } from '../errors.js';
import { parseRemote, type SshRemote } from '../ovsdb/remote.js';
import type { Io } from './io.js';
import { protectNegatives, unmark } from './negative-values.js';

/**
 * `sysdb --remote ssh://[user@]host[:port][/socket] ARGS...` runs the device's own sysdb over ssh
 * with the same ARGS: the device checks every value, writes the audit entry (its `who` comes from
 * the key sshd authenticated, see who.ts) and reads its own anchor. Connections are multiplexed
 * (one OpenSSH master per user, host and ssh flags, kept 30 s) and a failed ssh is retried with
 * full-jitter backoff until --timeout, so parallel calls do not trip sshd's MaxStartups.
 */
type Options = NonNullable<ParseArgsConfig['options']>;

/** What runs on the device, and what its stdin gets: nothing, our stdin, or a local file. */
export interface RemoteCall {
  words: string[];
  input?: { stdin: true } | { file: string };
}

const LOCAL_FILE_VERBS = new Set(['seed', 'canonicalize']);
const REFUSED_OPTIONS: Record<string, string> = {
  schema: '--schema FILE is not available over ssh: FILE would be read on the device',
  anchor: '--anchor FILE is not available over ssh: the device checks its own anchor file (/var/lib/sysdb/audit-head)',
};
// ssh failures a retry cannot fix: fail at once instead of retrying until the deadline.
const FINAL =
  /Permission denied|Host key verification failed|IDENTIFICATION HAS CHANGED|Could not resolve hostname|Connection refused|No route to host|Network is unreachable|Too many authentication failures|Bad configuration option|unsupported option|command-line|usage: ssh/i;
// ssh's own note when two calls raced to be the master: the loser just runs unmultiplexed.
const SSH_NOTE = /^ControlSocket .* already exists, disabling multiplexing$/;
const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2000;
const STDERR_KEEP = 1024 * 1024;

export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The device's arguments: ours minus --remote (plus the URL's socket), options as --name=value. */
export function remoteCall(argv: string[], options: Options, remote: SshRemote): RemoteCall {
  // parsed as runSysdb parses it: `vlan -1` is a value
  const { tokens } = parseArgs({ args: protectNegatives(argv), options, allowPositionals: true, tokens: true });
  const words = remote.socket ? [`--remote=unix:${remote.socket}`] : [];
  const positionals: number[] = [];
  for (const t of tokens) {
    if (t.kind === 'option-terminator') words.push('--');
    else if (t.kind === 'positional') positionals.push(words.push(unmark(t.value)) - 1);
    else if (REFUSED_OPTIONS[t.name]) throw new SysdbError('USAGE', REFUSED_OPTIONS[t.name]);
    // `--who=-x`, not `--who -x`: a value that starts with "-" must stay a value on the device.
    else if (t.name !== 'remote') words.push(t.value === undefined ? `--${t.name}` : `--${t.name}=${unmark(t.value)}`);
  }
  const [cmd, file] = positionals.map((i) => words[i]);
  if (LOCAL_FILE_VERBS.has(cmd)) throw new SysdbError('USAGE', `${cmd} works on local files: run it without an ssh remote`);
  // `set wifi NAME passphrase -` reads the secret from stdin: ours goes to the device's
  if (cmd === 'set' && positionals.length && words[positionals[positionals.length - 1]] === '-') return { words, input: { stdin: true } };
  if (cmd !== 'apply' || file === undefined) return { words };
  if (file === '-') return { words, input: { stdin: true } };
  words[positionals[1]] = '-';
  return { words, input: { file } };
}

/**
 * The control directory: private to the calling user (SYSDB_SSH_CONTROL=DIR names another one,
 * =no turns multiplexing off). A socket there is a logged-in session, so a directory another user
 * owns or may write is refused, not used.
 */
export function controlDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const setting = env.SYSDB_SSH_CONTROL;
  if (setting === 'no') return undefined;
  const uid = process.getuid?.() ?? 0;
  const runtime = env.XDG_RUNTIME_DIR && ownedBy(env.XDG_RUNTIME_DIR, uid) ? env.XDG_RUNTIME_DIR : undefined;
  const dir = setting && setting !== 'yes' ? path.resolve(setting) : runtime ? path.join(runtime, 'sysdb-ssh') : path.join(os.tmpdir(), `sysdb-ssh-${uid}`);
  const refuse = (why: string) =>
    new SysdbError('BAD_REMOTE', `ssh control directory ${dir} ${why}: refusing it (SYSDB_SSH_CONTROL=no connects without multiplexing)`);
  // ssh reads ControlPath as a config line: no spaces, quotes or % tokens in it.
  if (!/^[A-Za-z0-9_./-]+$/.test(dir)) throw refuse('has characters ssh would not read back');
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw refuse(`cannot be created (${(e as NodeJS.ErrnoException).code})`);
  }
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw refuse('is not a directory');
  if (st.uid !== uid) throw refuse(`is owned by uid ${st.uid}, not ${uid}`);
  if (st.mode & 0o022) throw refuse(`is writable by others (mode ${(st.mode & 0o777).toString(8)})`);
  return dir;
}

function ownedBy(dir: string, uid: number): boolean {
  try {
    return lstatSync(dir).uid === uid;
  } catch {
    return false;
  }
}

/** ssh's argv: SYSDB_SSH_ARGS first, so they win (ssh keeps the first value of each option). */
export function sshArgv(remote: SshRemote, command: string, connectTimeoutS: number, control: string | undefined, env = process.env): string[] {
  const extra = (env.SYSDB_SSH_ARGS ?? '').split(/\s+/).filter(Boolean);
  const dest = remote.user ? `${remote.user}@${remote.host}` : remote.host;
  // One master per user, host, port and ssh flags: a call with another key must not ride this one's login.
  const id = createHash('sha256')
    .update(JSON.stringify([env.SYSDB_SSH, remote.user, remote.host, remote.port, extra]))
    .digest('hex')
    .slice(0, 16);
  const mux = control ? ['-o', 'ControlMaster=auto', '-o', `ControlPath=${control}/${id}`, '-o', 'ControlPersist=30'] : [];
  const o = [
    'BatchMode=yes',
    'LogLevel=ERROR',
    `ConnectTimeout=${connectTimeoutS}`,
    'ServerAliveInterval=5',
    'ServerAliveCountMax=3',
    'ClearAllForwardings=yes',
  ];
  return [
    env.SYSDB_SSH || 'ssh',
    ...(remote.port ? ['-p', String(remote.port)] : []),
    ...extra,
    '-T',
    '-a',
    '-x',
    ...o.flatMap((x) => ['-o', x]),
    ...mux,
    '--',
    dest,
    command,
  ];
}

interface Attempt {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** Something of the remote command's output came back: it ran, so it is not run again. */
  output: boolean;
  spawnError?: string;
}

/** One ssh run: stdout passes through line by line as it comes, stderr is kept for the verdict. */
function attempt(argv: string[], input: string | undefined, io: Io): Promise<Attempt> {
  return new Promise((resolve) => {
    const [file, ...args] = argv;
    const child = spawn(file, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const r: Attempt = { code: null, signal: null, stderr: '', output: false };
    let partial = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      r.output = true;
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const l of lines) io.out(l);
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      r.stderr = (r.stderr + chunk).slice(-STDERR_KEEP);
    });
    let done = false;
    const finish = (end: Partial<Attempt>) => {
      if (done) return;
      done = true;
      if (partial) io.out(partial);
      resolve({ ...r, ...end });
    };
    child.on('error', (e) => finish({ spawnError: e.message }));
    child.on('close', (code, signal) => finish({ code, signal }));
    if (child.stdin) {
      child.stdin.on('error', () => {}); // the remote may exit before reading it all; its exit code says why
      child.stdin.end(input);
    }
  });
}

/** Runs ARGS on the device; resolves to the device CLI's exit code, or throws one `ssh to HOST: ...` line. */
export async function runOverSsh(remoteText: string, argv: string[], options: Options, timeoutMs: number, io: Io, env = process.env): Promise<number> {
  const remote = parseRemote(remoteText);
  if (remote.kind !== 'ssh') throw new SysdbError('BAD_REMOTE', `${remoteText} is not an ssh remote`);
  const call = remoteCall(argv, options, remote);
  let input: string | undefined;
  if (call.input && 'file' in call.input) {
    try {
      input = readFileSync(call.input.file, 'utf8');
    } catch (e) {
      throw new SysdbError('BAD_STATE_FILE', `cannot read ${call.input.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  } else if (call.input) {
    if (!io.stdin) throw new SysdbError('USAGE', 'apply -: no standard input here');
    input = await io.stdin();
  }
  const command = [env.SYSDB_SSH_COMMAND || 'sysdb', ...call.words.map(shellQuote)].join(' ');
  const control = controlDir(env);
  const deadline = Date.now() + timeoutMs;
  for (let n = 0; ; n++) {
    const connectS = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
    const r = await attempt(sshArgv(remote, command, connectS, control, env), input, io);
    const fail = (why: string) => new SysdbError('DISCONNECTED', `ssh to ${remote.host}: ${why}`);
    if (r.spawnError) throw fail(`cannot run ${env.SYSDB_SSH || 'ssh'}: ${r.spawnError}`);
    if (r.code === null) throw fail(`ssh ended by ${r.signal}`);
    if (r.code !== 255) {
      for (const l of r.stderr.split(/\r?\n/)) if (l && !SSH_NOTE.test(l)) io.err(l);
      return r.code;
    }
    const why = r.stderr.trim().split('\n').at(-1)?.trim() || 'ssh exited 255';
    const delay = Math.random() * Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** n);
    if (r.output || FINAL.test(why) || Date.now() + delay >= deadline) throw fail(why);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
