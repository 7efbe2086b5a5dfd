import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Row } from '../ovsdb/datum.js';
import type { Agent, AgentContext } from './agent-runtime.js';
import { rowProblems } from '../formats.js';
import { qemuArgv, vmMarker, type QemuOptions } from './qemu-command.js';

/** Where VM processes go: a vm.slice scope via systemd on the device, or a cgroupfs dir elsewhere. */
export type Placement = { kind: 'systemd'; slice: string } | { kind: 'cgroupfs'; dir: string } | { kind: 'none' };

export interface VmAgentOptions extends QemuOptions {
  placement: Placement;
  /** Prepended to the command line (tests: ['ip', 'netns', 'exec', ns]); exec-style, so the pid stays qemu's. */
  prefix?: string[];
  backoffMs?: { min: number; max: number };
  stopTimeoutMs?: number;
}

interface Tracked {
  pid: number;
  child?: ChildProcess;
  restarts: number;
  notBefore: number;
  exited: boolean;
}

function alive(pid: number, name: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(vmMarker(name)) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

export function vmAgent(o: VmAgentOptions): Agent {
  const tracked = new Map<string, Tracked>();
  const backoff = o.backoffMs ?? { min: 1000, max: 30_000 };
  let kick = () => {};

  function launch(vm: Row, t: Tracked | undefined): Tracked {
    mkdirSync(o.consoleDir, { recursive: true });
    const argv = qemuArgv(vm, o);
    const full =
      o.placement.kind === 'systemd'
        ? ['systemd-run', '--scope', '--quiet', '--collect', `--slice=${o.placement.slice}`, `--unit=stalker-vm-${vm.name}`, ...(o.prefix ?? []), ...argv]
        : [...(o.prefix ?? []), ...argv];
    const child = spawn(full[0], full.slice(1), { stdio: 'ignore' });
    // VMs outlive the agent (a restarted agent adopts them by pid): the child must not keep this process alive.
    child.unref();
    const entry: Tracked = { pid: child.pid ?? 0, child, restarts: t?.restarts ?? 0, notBefore: 0, exited: false };
    child.on('error', () => {
      entry.exited = true;
      kick();
    });
    child.on('exit', () => {
      entry.exited = true;
      kick();
    });
    if (o.placement.kind === 'cgroupfs' && entry.pid) {
      mkdirSync(o.placement.dir, { recursive: true });
      writeFileSync(path.join(o.placement.dir, 'cgroup.procs'), String(entry.pid));
    }
    return entry;
  }

  async function stopPid(name: string, t: Tracked): Promise<void> {
    process.kill(t.pid, 'SIGTERM');
    const end = Date.now() + (o.stopTimeoutMs ?? 5000);
    while (Date.now() < end && alive(t.pid, name)) await new Promise((r) => setTimeout(r, 50));
    if (alive(t.pid, name)) process.kill(t.pid, 'SIGKILL');
  }

  async function reconcileVm(ctx: AgentContext, vm: Row): Promise<void> {
    const name = String(vm.name);
    let t = tracked.get(name);
    if (!t && typeof vm.pid === 'number' && alive(vm.pid, name)) {
      t = { pid: vm.pid, restarts: (vm.restarts as number | null) ?? 0, notBefore: 0, exited: false };
      tracked.set(name, t);
      ctx.log.log('info', 'adopted running vm', { vm: name, pid: vm.pid });
    }
    const running = !!t && !t.exited && alive(t.pid, name);
    if (vm.state === 'stop') {
      if (running && t && (await ctx.step(`stop vm ${name} (pid ${t.pid})`, () => stopPid(name, t!)))) tracked.delete(name);
      if (!running) tracked.delete(name);
      return ctx.observe('VirtualMachine', vm, { status: 'stopped', pid: null });
    }
    if (running) return ctx.observe('VirtualMachine', vm, { status: 'running', pid: t!.pid, restarts: t!.restarts });
    if (t && !t.notBefore) {
      // It was running and is gone without being asked to stop: a crash. Restart later, backing off.
      t.restarts++;
      t.notBefore = Date.now() + Math.min(backoff.min * 2 ** (t.restarts - 1), backoff.max);
      ctx.log.log('warning', 'vm crashed', { vm: name, pid: t.pid, restarts: t.restarts, retryInMs: t.notBefore - Date.now() });
      setTimeout(kick, t.notBefore - Date.now());
      return ctx.observe('VirtualMachine', vm, { status: 'crashed', pid: null, restarts: t.restarts });
    }
    if (t && Date.now() < t.notBefore) return;
    // Nothing is started by an agent that is stopping, or from rows that may be stale.
    if (ctx.stopping() || (!ctx.dryRun && !ctx.connected())) return;
    const problems = rowProblems('VirtualMachine', vm);
    if (problems.length) {
      ctx.log.log('error', 'value rejected', { table: 'VirtualMachine', row: name, problem: problems.join('; ') });
      return ctx.observe('VirtualMachine', vm, { status: 'error', pid: null });
    }
    const argv = qemuArgv(vm, o).join(' ');
    let started: Tracked | undefined;
    await ctx.step(`start vm ${name}: ${argv}`, async () => {
      started = launch(vm, t);
    });
    if (ctx.dryRun) return;
    await new Promise((r) => setTimeout(r, 200));
    if (!started || started.exited || !started.pid) {
      if (started) tracked.set(name, { ...started, notBefore: 0 });
      return ctx.observe('VirtualMachine', vm, { status: 'error', pid: null });
    }
    tracked.set(name, started);
    await ctx.observe('VirtualMachine', vm, { status: 'running', pid: started.pid, restarts: started.restarts });
  }

  return {
    name: 'vm',
    tables: { VirtualMachine: {} },
    intervalMs: 2000,
    attach: (k) => {
      kick = k;
    },
    async reconcile(ctx) {
      const rows = ctx.rows('VirtualMachine');
      for (const vm of rows) {
        if (ctx.stopping()) return;
        await reconcileVm(ctx, vm);
      }
      for (const [name, t] of tracked) {
        if (rows.some((r) => r.name === name)) continue;
        if (
          await ctx.step(`stop vm ${name} (row deleted, pid ${t.pid})`, async () => {
            if (alive(t.pid, name)) await stopPid(name, t);
          })
        )
          tracked.delete(name);
      }
    },
  };
}
