// The one way stalker runs a host tool: LC_ALL=C, output kept only as bounded tails (a chatty tool
// never grows memory), stdin from a string, buffer or stream, and one ExecError (command, exit
// code, the tail of stderr) for a tool that cannot start or exits non-zero.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ExecError } from '../errors.js';
import { debug } from './debug.js';
import { killGroup } from './kill-tree.js';
import { own } from './owned-processes.js';

export interface ExecOptions {
  env?: NodeJS.ProcessEnv; // on top of the process's own
  input?: string | Buffer | Readable;
  /** Where stdout goes: kept as text (default), dropped, or a file descriptor. */
  stdout?: 'keep' | 'ignore' | number;
  /** Sees every chunk as it comes (e.g. a step log); stdout is then not kept as text. */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /** Ends the tool and every process it started (its process group): SIGTERM, SIGKILL 5 s later. */
  signal?: AbortSignal;
  /** Bytes of stdout and of stderr kept (default 64 KiB). */
  keep?: number;
  /** Working directory (default: the process's own). */
  cwd?: string;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
}

const TAIL_LINES = 8;

export const tailOf = (text: string, lines = TAIL_LINES) => text.trim().split('\n').filter(Boolean).slice(-lines);

export function exec(cmd: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const keep = opts.keep ?? 64 * 1024;
  const command = [cmd, ...args];
  debug('exec', command.join(' '));
  return new Promise((resolve, reject) => {
    const out = opts.stdout ?? 'keep';
    // With a signal, the tool leads a process group of its own, so an abort reaches what it forked
    // too (mmdebstrap's apt and dpkg would otherwise outlive a SIGTERM to stalker).
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, LC_ALL: 'C', ...opts.env },
      stdio: ['pipe', out === 'keep' ? 'pipe' : out, 'pipe'],
      detached: !!opts.signal,
    });
    if (opts.signal) endGroupOnAbort(child, opts.signal);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => {
      if (opts.onOutput) opts.onOutput('stdout', c);
      else stdout = (stdout + c.toString('utf8')).slice(-keep);
    });
    child.stderr!.on('data', (c: Buffer) => {
      opts.onOutput?.('stderr', c);
      stderr = (stderr + c.toString('utf8')).slice(-keep);
    });
    child.on('error', (err) => reject(new ExecError(command, null, tailOf(stderr), undefined, { cause: err })));
    child.on('close', (code, signal) => {
      if (code === 0) resolve({ stdout, stderr });
      else reject(new ExecError(command, code, tailOf(stderr), signal ?? undefined));
    });
    // A tool that exits early closes its stdin; its exit code says why, not the broken pipe.
    child.stdin!.on('error', () => undefined);
    if (opts.input instanceof Readable) void pipeline(opts.input, child.stdin!).catch(() => undefined);
    else child.stdin!.end(opts.input ?? '');
  });
}

function endGroupOnAbort(child: ChildProcess, signal: AbortSignal): void {
  const pid = child.pid;
  const kill = (sig: NodeJS.Signals) => {
    if (pid) killGroup(pid, sig);
  };
  // a forced exit (a second Ctrl-C) does not wait for the SIGTERM below to be heeded
  const disown = own(pid, () => kill('SIGKILL'));
  let force: NodeJS.Timeout | undefined;
  const onAbort = () => {
    kill('SIGTERM');
    force = setTimeout(() => kill('SIGKILL'), 5000);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  child.on('close', () => {
    disown();
    signal.removeEventListener('abort', onAbort);
    clearTimeout(force);
  });
}

/**
 * A tool's stdout as a stream. It ends only once the tool exited 0; otherwise it errors with
 * ExecError, so a reader never takes the output of a failed tool (e.g. a cut tar -c) as whole.
 */
export function execOutput(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Readable {
  const command = [cmd, ...args];
  debug('exec', command.join(' '));
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C', ...opts.env } });
  const out = new PassThrough();
  child.stdout!.pipe(out, { end: false });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-16384);
  });
  child.on('error', (err) => out.destroy(new ExecError(command, null, [], undefined, { cause: err })));
  child.on('close', (code, signal) => {
    if (code === 0) out.end();
    else out.destroy(new ExecError(command, code, tailOf(stderr), signal ?? undefined));
  });
  return out;
}

/** For the few checks that must stay synchronous (binfmt registration). Never throws. */
export function execSync(cmd: string, args: string[]): { ok: boolean; out: string } {
  debug('exec', [cmd, ...args].join(' '));
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`.trim() };
}
