import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Row, Value } from '../ovsdb/datum.js';
import type { Agent, AgentContext } from './agent-runtime.js';
import { rowProblems } from '../formats.js';
import { OBSERVED } from '../schema.js';
import { qemuArgv, type QemuOptions } from './qemu-command.js';
import { boundVmLog, lastVmLogLine } from './vm-log.js';
import { vmFileProblems } from './vm-preflight.js';
import { launchVm, processAgeMs, stopVm, vmAlive, type Placement, type VmProcess } from './vm-process.js';
import { afterCrash, DEFAULT_POLICY, type RestartPolicy } from './vm-restart-policy.js';
import { renderVmStatus, type VmStatus } from './vm-status.js';

export type { Placement } from './vm-process.js';

export interface VmAgentOptions extends QemuOptions, Partial<RestartPolicy> {
  placement: Placement;
  /** Prepended to the command line (tests: ['ip', 'netns', 'exec', ns]); exec-style, so the pid stays qemu's. */
  prefix?: string[];
  stopTimeoutMs?: number;
  /** Bound on `<consoleDir>/<name>.log`, QEMU's stdout and stderr (default 1 MiB; over it, the newest half is kept). */
  logMaxBytes?: number;
}

interface Tracked {
  /** The current process; none while a restart is pending or after giving up. */
  proc?: VmProcess;
  startedAt: number;
  restarts: number;
  /** Consecutive runs shorter than the settle time. */
  streak: number;
  notBefore: number;
  /** Given up: the status written and the configuration it was given up on. */
  failed?: { status: string; config: string; seen: boolean };
}

const configOf = (vm: Row) => JSON.stringify(Object.entries(vm).filter(([k]) => k !== '_uuid' && !OBSERVED.VirtualMachine.includes(k)));

function crashReason(p: VmProcess, logFile: string): string {
  const line = lastVmLogLine(logFile);
  if (p.ending?.startsWith('killed by')) return line ? `${p.ending}; ${line}` : p.ending;
  // -nodefaults -monitor none: a silent clean exit is the guest powering itself off (a signal prints a line).
  if (!line && p.ending === 'exited with code 0') return 'the guest powered off (qemu exited with code 0)';
  return line ?? p.ending ?? 'qemu exited';
}

export function vmAgent(o: VmAgentOptions): Agent {
  const tracked = new Map<string, Tracked>();
  // Why a row's VM was not launched, so the journal says it once rather than every pass.
  const noted = new Map<string, string>();
  const policy: RestartPolicy = {
    settleMs: o.settleMs ?? DEFAULT_POLICY.settleMs,
    maxCrashes: o.maxCrashes ?? DEFAULT_POLICY.maxCrashes,
    backoffMs: o.backoffMs ?? DEFAULT_POLICY.backoffMs,
  };
  let kick = () => {};
  // unref'd: a pending restart or settle check must not keep a stopping agent alive.
  const later = (ms: number) => setTimeout(() => kick(), ms).unref();
  const logFileOf = (name: string) => path.join(o.consoleDir, `${name}.log`);
  const observe = (ctx: AgentContext, vm: Row, s: VmStatus, extra: Record<string, Value>) =>
    ctx.observe('VirtualMachine', vm, { status: renderVmStatus(s), ...extra });

  async function onEnded(ctx: AgentContext, vm: Row, name: string, t: Tracked, p: VmProcess): Promise<void> {
    t.proc = undefined;
    const reason = crashReason(p, logFileOf(name));
    const d = afterCrash(policy, t.streak, (p.endedAt ?? Date.now()) - t.startedAt);
    t.streak = d.streak;
    if (d.kind === 'give-up') {
      const status: VmStatus = { kind: 'failed', reason, crashes: d.streak };
      t.failed = { status: renderVmStatus(status), config: configOf(vm), seen: false };
      ctx.log.log('error', 'vm failed', { vm: name, pid: p.pid, reason, crashes: d.streak });
      return observe(ctx, vm, status, { pid: null });
    }
    t.restarts++;
    t.notBefore = Date.now() + d.inMs;
    later(d.inMs);
    ctx.log.log('warning', 'vm crashed', { vm: name, pid: p.pid, reason, restarts: t.restarts, retryInMs: d.inMs });
    return observe(ctx, vm, { kind: 'crashed', reason, restart: t.restarts, inMs: d.inMs }, { pid: null, restarts: t.restarts });
  }

  /** Still given up? A change of the row's configuration (or a status someone else cleared) means try again. */
  function stillFailed(vm: Row, t: Tracked): boolean {
    const f = t.failed;
    if (!f) return false;
    if (vm.status === f.status) f.seen = true;
    if (configOf(vm) === f.config && !(vm.status === null && f.seen)) return true;
    Object.assign(t, { failed: undefined, streak: 0, notBefore: 0 });
    return false;
  }

  async function start(ctx: AgentContext, vm: Row, name: string, t: Tracked | undefined): Promise<void> {
    const problems = rowProblems('VirtualMachine', vm);
    ctx.reject('VirtualMachine', name, problems.length ? problems.join('; ') : undefined);
    if (problems.length) return observe(ctx, vm, { kind: 'error', reason: problems.join('; ') }, { pid: null });
    const missing = vmFileProblems(vm).join('; ');
    if (missing) {
      if (noted.get(name) !== missing) ctx.log.log('error', 'vm not started', { vm: name, problem: missing });
      noted.set(name, missing);
      return observe(ctx, vm, { kind: 'error', reason: missing }, { pid: null });
    }
    noted.delete(name);
    const argv = qemuArgv(vm, o);
    let started: VmProcess | undefined;
    let failure = '';
    await ctx.step(`start vm ${name}: ${argv.join(' ')}`, async () => {
      try {
        mkdirSync(o.consoleDir, { recursive: true });
        started = launchVm(name, argv, { placement: o.placement, prefix: o.prefix, logFile: logFileOf(name) }, () => kick());
      } catch (e) {
        failure = (e as Error).message;
        throw e;
      }
    });
    if (ctx.dryRun) return;
    if (!started) return observe(ctx, vm, { kind: 'error', reason: `launch failed: ${failure}` }, { pid: null });
    const entry = t ?? { restarts: 0, streak: 0, notBefore: 0, startedAt: 0 };
    Object.assign(entry, { proc: started, startedAt: Date.now(), notBefore: 0 });
    tracked.set(name, entry);
    later(policy.settleMs + 20);
    await observe(ctx, vm, { kind: 'starting' }, { pid: started.pid || null, restarts: entry.restarts });
  }

  async function reconcileVm(ctx: AgentContext, vm: Row): Promise<void> {
    const name = String(vm.name);
    let t = tracked.get(name);
    if (!t && typeof vm.pid === 'number' && vmAlive(vm.pid, name)) {
      const startedAt = Date.now() - processAgeMs(vm.pid);
      t = { proc: { pid: vm.pid, exited: false }, startedAt, restarts: (vm.restarts as number | null) ?? 0, streak: 0, notBefore: 0 };
      tracked.set(name, t);
      later(Math.max(0, startedAt + policy.settleMs - Date.now()) + 20);
      ctx.log.log('info', 'adopted running vm', { vm: name, pid: vm.pid });
    }
    const p = t?.proc;
    // A process this agent launched reports its own exit; an adopted one is looked up in /proc.
    const up = !!p && !p.exited && (p.child ? p.pid > 0 : vmAlive(p.pid, name));
    if (p?.child && !p.exited && !p.pid) return; // spawn failed; its error event is on the way
    if (vm.state === 'stop') {
      if (up && (await ctx.step(`stop vm ${name} (pid ${p!.pid})`, () => stopVm(name, p!.pid, o.stopTimeoutMs ?? 5000)))) tracked.delete(name);
      if (!up) tracked.delete(name);
      return observe(ctx, vm, { kind: 'stopped' }, { pid: null });
    }
    if (up) {
      boundVmLog(logFileOf(name), o.logMaxBytes ?? 1 << 20);
      const settled = Date.now() - t!.startedAt >= policy.settleMs;
      return observe(ctx, vm, { kind: settled ? 'running' : 'starting' }, { pid: p!.pid, restarts: t!.restarts });
    }
    if (t && p) return onEnded(ctx, vm, name, t, p);
    if (t && stillFailed(vm, t)) return;
    if (t && Date.now() < t.notBefore) return;
    // Nothing is started by an agent that is stopping, or from rows that may be stale.
    if (ctx.stopping() || (!ctx.dryRun && !ctx.connected())) return;
    await start(ctx, vm, name, t);
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
      const gone = (name: string) => !rows.some((r) => r.name === name);
      for (const [name, t] of tracked) {
        if (!gone(name)) continue;
        const pid = t.proc?.pid;
        if (!pid || !vmAlive(pid, name) || (await ctx.step(`stop vm ${name} (row deleted, pid ${pid})`, () => stopVm(name, pid, o.stopTimeoutMs ?? 5000))))
          tracked.delete(name);
      }
      for (const name of [...noted.keys()].filter(gone)) noted.delete(name);
    },
  };
}
