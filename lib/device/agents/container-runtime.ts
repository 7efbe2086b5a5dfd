import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CommandRunner } from './command-runner.js';
import { markerOf, unitOf } from './container-argv.js';
import { openVmLog } from './vm-log.js';
import { processAgeMs } from './vm-process.js';

/** One container's supervisor process (systemd-nspawn) as the agent sees it. */
export interface ContainerProc {
  pid: number;
  exited: boolean;
  /** `exited with code 1`, `killed by SIGKILL`, a spawn error; code is the exit code when there is one. */
  ending?: string;
  code?: number | null;
  endedAt?: number;
  startedAt: number;
}

/** Where containers run: systemd transient services on the device, process-group children elsewhere; a fake in unit tests. */
export interface ContainerRuntime {
  launch(name: string, argv: string[], onExit: () => void): Promise<ContainerProc>;
  /** A container of this name still running from an earlier agent (to adopt, not start twice). */
  find(name: string): Promise<ContainerProc | undefined>;
  /** Refreshes p (exited, ending) for processes this agent cannot wait for. */
  poll(name: string, p: ContainerProc): Promise<void>;
  /** The container's init (nspawn's child, PID 1 inside), once it exists. */
  leader(p: ContainerProc): number | undefined;
  stop(name: string, p: ContainerProc, timeoutMs: number): Promise<void>;
}

/** nspawn's live process for this container: not a zombie, and its argv carries the marker. */
export function nspawnAlive(pid: number, name: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return path.basename(argv[0]) === 'systemd-nspawn' && argv.includes(markerOf(name)) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** nspawn's child in another pid namespace: the container's PID 1 (nspawn is a subreaper, so it is its parent). */
export function nspawnLeader(pid: number): number | undefined {
  const ownNs = readlinkSync('/proc/self/ns/pid');
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid && readlinkSync(`/proc/${e}/ns/pid`) !== ownNs) return Number(e);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function terminate(name: string, pid: number, timeoutMs: number): Promise<void> {
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(pid, s);
    } catch {
      // already gone
    }
  };
  const waitGone = async (ms: number) => {
    for (const end = Date.now() + ms; Date.now() < end && nspawnAlive(pid, name);) await sleep(50);
  };
  const leader = nspawnLeader(pid);
  signal('SIGTERM'); // nspawn sends --kill-signal (SIGTERM) to the payload and waits for it
  await waitGone(timeoutMs);
  // a second SIGTERM makes nspawn kill the payload at once; killing PID 1 of the container ends its pid namespace
  if (nspawnAlive(pid, name)) signal('SIGTERM');
  await waitGone(1000);
  if (leader && nspawnAlive(pid, name)) process.kill(leader, 'SIGKILL');
  if (nspawnAlive(pid, name)) signal('SIGKILL');
}

/** Without systemd: nspawn as a detached child in its own process group, a pid file for the next agent. */
export function processRuntime(o: { runDir: string }): ContainerRuntime {
  const pidFile = (name: string) => path.join(o.runDir, `${name}.pid`);
  return {
    async launch(name, argv, onExit) {
      mkdirSync(o.runDir, { recursive: true });
      const out = openVmLog(path.join(o.runDir, `${name}.log`));
      let child;
      try {
        child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', out, out], detached: true });
      } finally {
        closeSync(out);
      }
      child.unref();
      const p: ContainerProc = { pid: child.pid ?? 0, exited: false, startedAt: Date.now() };
      const ended = (ending: string, code: number | null) => {
        Object.assign(p, { exited: true, ending, code, endedAt: Date.now() });
        onExit();
      };
      child.on('error', (e) => ended(e.message, null));
      child.on('exit', (code, signal) => ended(signal ? `killed by ${signal}` : `exited with code ${code}`, code));
      if (p.pid) writeFileSync(pidFile(name), `${p.pid}\n`);
      return p;
    },
    async find(name) {
      const pid = Number(readFileSafe(pidFile(name)).trim());
      if (!pid || !nspawnAlive(pid, name)) return undefined;
      return { pid, exited: false, startedAt: Date.now() - processAgeMs(pid) };
    },
    async poll(name, p) {
      if (!p.exited && !nspawnAlive(p.pid, name)) Object.assign(p, { exited: true, ending: p.ending ?? 'exited (seen gone)', code: null, endedAt: Date.now() });
      if (p.exited) rmSync(pidFile(name), { force: true });
    },
    leader: (p) => nspawnLeader(p.pid),
    stop: (name, p, timeoutMs) => terminate(name, p.pid, timeoutMs),
  };
}

function readFileSafe(f: string): string {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
}

/** Under systemd: a transient service per container (argv is systemd-run's); the unit is the handle. */
export function systemdRuntime(runner: CommandRunner): ContainerRuntime {
  const show = async (name: string) => {
    const r = await runner.run(['systemctl', 'show', '--property=MainPID,ActiveState,Result,ExecMainCode,ExecMainStatus', unitOf(name)]);
    return Object.fromEntries(
      r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  };
  const running = async (name: string) => {
    const s = await show(name);
    const pid = Number(s.MainPID);
    return pid && nspawnAlive(pid, name) ? pid : undefined;
  };
  return {
    async launch(name, argv) {
      // a failed unit of the same name (kept, so its exit status can be read) would make systemd-run refuse
      await runner.run(['systemctl', 'reset-failed', unitOf(name)]);
      const r = await runner.run(argv);
      if (r.code !== 0)
        return {
          pid: 0,
          exited: true,
          ending: r.stderr.trim().split('\n').at(-1) || `systemd-run exited ${r.code}`,
          code: null,
          endedAt: Date.now(),
          startedAt: Date.now(),
        };
      for (let i = 0; i < 50; i++) {
        const pid = await running(name);
        if (pid) return { pid, exited: false, startedAt: Date.now() };
        await sleep(100);
      }
      return { pid: 0, exited: true, ending: 'the unit started no systemd-nspawn', code: null, endedAt: Date.now(), startedAt: Date.now() };
    },
    async find(name) {
      const pid = await running(name);
      return pid ? { pid, exited: false, startedAt: Date.now() - processAgeMs(pid) } : undefined;
    },
    async poll(name, p) {
      if (p.exited || nspawnAlive(p.pid, name)) return;
      const s = await show(name);
      // an inactive unit is collected at once; a failed one stays with its result
      const code = s.ActiveState === 'failed' && s.ExecMainCode === '1' ? Number(s.ExecMainStatus) : s.ActiveState === 'failed' ? null : 0;
      const ending = s.ActiveState === 'failed' ? (code === null ? `failed (${s.Result})` : `exited with code ${code}`) : 'exited with code 0';
      Object.assign(p, { exited: true, ending, code, endedAt: Date.now() });
    },
    leader: (p) => nspawnLeader(p.pid),
    async stop(name) {
      await runner.run(['systemctl', 'stop', unitOf(name)]);
    },
  };
}
