// A build run as a user runs it (a spawned stalker, --progress json), watched until a step is
// really running, then interrupted: the tests of what an interrupt must leave behind (nothing).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { processTree } from '../../lib/util/kill-tree.js';

export const MAIN = join(process.cwd(), 'dist', 'lib', 'cli', 'main.js');

/**
 * A step that starts a process in a session of its own (setsid: out of the step's process
 * group, as a daemon a step starts would be) and one in the foreground, both named by `token`
 * (pgrep finds them), and prints `napping` once both run.
 */
export const napStep = (token: string) =>
  `{ name: "nap", run: "setsid sh -c 'sleep 300; :' ${token}-bg & sh -c 'echo napping; sleep 300; :' ${token}-fg", cache: false }`;

/** Processes whose command line holds `token` (never this test's own: the token is in no argv of it). */
export function withToken(token: string): number[] {
  const r = spawnSync('pgrep', ['-f', token], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

export interface WatchedBuild {
  child: ChildProcess;
  events: Record<string, unknown>[];
  stdout: () => string;
  stderr: () => string;
  /** Resolves once an event satisfies `pred`; rejects if stalker exits first or `ms` pass. */
  until(pred: (e: Record<string, unknown>) => boolean, ms?: number): Promise<void>;
  /** Sends `signal` to the stalker process itself (`pid`: when `child` is a wrapper such as runuser). */
  interrupt(signal?: NodeJS.Signals, pid?: number): Promise<{ code: number | null; ms: number }>;
}

export function watchBuild(cmd: string, args: string[]): WatchedBuild {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Record<string, unknown>[] = [];
  let out = '';
  let err = '';
  let partial = '';
  const waiting = new Set<() => void>();
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
    const lines = (partial + c.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) if (l.startsWith('{')) events.push(JSON.parse(l) as Record<string, unknown>);
    for (const w of waiting) w();
  });
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    events,
    stdout: () => out,
    stderr: () => err,
    until: (pred, ms = 120_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!events.some(pred)) return;
          waiting.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => reject(new Error(`no such event in ${ms} ms:\n${out}\n${err}`)), ms);
        waiting.add(check);
        void exited.then((code) => reject(new Error(`stalker exited (${code}) first:\n${out}\n${err}`)));
        check();
      }),
    interrupt: async (signal = 'SIGINT', pid = child.pid!) => {
      const t0 = Date.now();
      process.kill(pid, signal);
      const code = await exited;
      return { code, ms: Date.now() - t0 };
    },
  };
}

export const stepOutput = (line: string) => (e: Record<string, unknown>) => e.type === 'step-output' && e.line === line;

/** Every process descended from `pid` now (the step's, mmdebstrap's and its apt's). */
export const descendants = (pid: number) => [...processTree(pid)].filter((p) => p !== pid);

/**
 * A Debian mirror that accepts connections and never answers: apt, started by mmdebstrap, waits
 * on it, so a bootstrap is really running (a connection came) for as long as a test needs, with
 * no download.
 */
export class HangingMirror {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  connections = 0;

  constructor() {
    this.server = createServer((s) => {
      this.connections++;
      this.sockets.add(s);
      // read (and drop) what apt sends: a paused socket never sees the peer's close
      s.on('close', () => this.sockets.delete(s))
        .on('error', () => {})
        .resume();
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  /** Connections still open (apt still alive holds its own). */
  get open(): number {
    return this.sockets.size;
  }

  async connected(ms = 60_000): Promise<void> {
    const until = Date.now() + ms;
    while (!this.connections && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    if (!this.connections) throw new Error(`no connection to the mirror in ${ms} ms`);
  }

  close(): void {
    for (const s of this.sockets) s.destroy();
    this.server.close();
  }
}

/** Waits up to `ms` for `cond` (the kernel reaps a killed process group in its own time). */
export async function eventually(cond: () => boolean, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!cond() && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  return cond();
}
