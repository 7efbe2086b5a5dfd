import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { vmMarker } from './qemu-command.js';
import { openVmLog } from './vm-log.js';

/** Where VM processes go: a vm.slice scope via systemd on the device, or a cgroupfs dir elsewhere. */
export type Placement = { kind: 'systemd'; slice: string } | { kind: 'cgroupfs'; dir: string } | { kind: 'none' };

export interface VmProcess {
  pid: number;
  /** Only for a process this agent launched; an adopted one is watched through /proc. */
  child?: ChildProcess;
  exited: boolean;
  /** How it ended, when this agent saw it end: `exited with code 1`, `killed by SIGKILL`, a spawn error. */
  ending?: string;
  endedAt?: number;
}

/** The VM's qemu is alive: the pid exists, is not a zombie, and its command line carries the VM's marker. */
export function vmAlive(pid: number, name: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(vmMarker(name)) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** How long a process has run, from /proc (start time in USER_HZ ticks, 100 on Linux); 0 if unknown. */
export function processAgeMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const started = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]) / 100;
    const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    return Math.max(0, (uptime - started) * 1000);
  } catch {
    return 0;
  }
}

/**
 * Starts argv with its stdout and stderr in logFile, placed as asked. The child is unref'd and holds
 * no pipe to this process, so the VM outlives the agent (a restarted agent adopts it by pid).
 */
export function launchVm(name: string, argv: string[], o: { placement: Placement; prefix?: string[]; logFile: string }, onExit: () => void): VmProcess {
  const full =
    o.placement.kind === 'systemd'
      ? ['systemd-run', '--scope', '--quiet', '--collect', `--slice=${o.placement.slice}`, `--unit=stalker-vm-${name}`, ...(o.prefix ?? []), ...argv]
      : [...(o.prefix ?? []), ...argv];
  const out = openVmLog(o.logFile);
  let child: ChildProcess;
  try {
    child = spawn(full[0], full.slice(1), { stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
  child.unref();
  const p: VmProcess = { pid: child.pid ?? 0, child, exited: false };
  child.on('error', (e) => {
    Object.assign(p, { exited: true, ending: e.message, endedAt: Date.now() });
    onExit();
  });
  child.on('exit', (code, signal) => {
    Object.assign(p, { exited: true, ending: signal ? `killed by ${signal}` : `exited with code ${code}`, endedAt: Date.now() });
    onExit();
  });
  if (o.placement.kind === 'cgroupfs' && p.pid) {
    mkdirSync(o.placement.dir, { recursive: true });
    writeFileSync(path.join(o.placement.dir, 'cgroup.procs'), String(p.pid));
  }
  return p;
}

/** SIGTERM, then SIGKILL when it is still there after timeoutMs. */
export async function stopVm(name: string, pid: number, timeoutMs: number): Promise<void> {
  process.kill(pid, 'SIGTERM');
  const end = Date.now() + timeoutMs;
  while (Date.now() < end && vmAlive(pid, name)) await new Promise((r) => setTimeout(r, 50));
  if (vmAlive(pid, name)) process.kill(pid, 'SIGKILL');
}
