import type { Row, Value } from '../ovsdb/datum.js';
import { readImage, rootfsOf, type StoredImage } from '../containers/image-store.js';
import { rowProblems } from '../formats.js';
import { OBSERVED } from '../schema.js';
import type { Agent, AgentContext } from './agent-runtime.js';
import type { CommandRunner } from './command-runner.js';
import { nspawnArgv, systemdRunArgv } from './container-argv.js';
import { containerNetSteps } from './container-net.js';
import type { ContainerProc, ContainerRuntime } from './container-runtime.js';
import { renderContainerStatus, type ContainerStatus } from './container-status.js';
import { vsctl } from './net-observe.js';
import { afterCrash, DEFAULT_POLICY, type RestartPolicy } from './vm-restart-policy.js';

export interface ContainerAgentOptions extends Partial<RestartPolicy> {
  runtime: ContainerRuntime;
  runner: CommandRunner;
  store: string;
  /** Wrap nspawn in systemd-run (a transient service in container.slice); main.ts sets it when systemd runs. */
  systemd?: boolean;
  ovsDb?: string;
  stopTimeoutMs?: number;
}

interface Tracked {
  proc?: ContainerProc;
  restarts: number;
  streak: number;
  notBefore: number;
  /** Network set up inside (once per launch). */
  wired?: boolean;
  netFailure?: string;
  /** Not relaunched (gave up, or the restart column said so) until the configuration changes or stop -> run. */
  held?: { status: string; config: string; seen: boolean };
}

const configOf = (ct: Row) => JSON.stringify(Object.entries(ct).filter(([k]) => k !== '_uuid' && !OBSERVED.Container.includes(k)));

export function containerAgent(o: ContainerAgentOptions): Agent {
  const tracked = new Map<string, Tracked>();
  const noted = new Map<string, string>();
  const policy: RestartPolicy = { ...DEFAULT_POLICY, ...Object.fromEntries(Object.entries(o).filter(([k]) => k in DEFAULT_POLICY)) };
  const stopMs = o.stopTimeoutMs ?? 5000;
  let kick = () => {};
  const later = (ms: number) => setTimeout(() => kick(), ms).unref();
  const observe = (ctx: AgentContext, ct: Row, s: ContainerStatus, extra: Record<string, Value>) =>
    ctx.observe('Container', ct, { status: renderContainerStatus(s), ...extra });

  /** Why the row cannot start now (rechecked every pass), or the image and argv it starts with. */
  async function check(ct: Row): Promise<{ problem: string } | { image: StoredImage; argv: string[] }> {
    const problems = rowProblems('Container', ct);
    if (typeof ct.id !== 'number') problems.push('id missing');
    if (problems.length) return { problem: problems.join('; ') };
    const name = String(ct.image);
    const image = readImage(o.store, name);
    if (!image) return { problem: `image ${name} missing (sysdb image import DIR ${name})` };
    const bridge = typeof ct.bridge === 'string' ? ct.bridge : 'br0';
    const br = await o.runner.run(vsctl(o.ovsDb, 'br-exists', bridge));
    if (br.code !== 0)
      return { problem: br.code === 2 ? `bridge ${bridge} does not exist` : `bridge ${bridge}: ovs-vsctl exited ${br.code}: ${br.stderr.trim()}` };
    const built = nspawnArgv(ct, image, rootfsOf(o.store, name));
    if ('problem' in built) return built;
    return { image, argv: o.systemd ? systemdRunArgv(ct, built.argv) : built.argv };
  }

  async function start(ctx: AgentContext, ct: Row, name: string, t: Tracked | undefined): Promise<void> {
    const c = await check(ct);
    ctx.reject('Container', name, 'problem' in c ? c.problem : undefined);
    if ('problem' in c) {
      if (noted.get(name) !== c.problem) ctx.log.log('error', 'container not started', { container: name, problem: c.problem });
      noted.set(name, c.problem);
      return observe(ctx, ct, { kind: 'error', reason: c.problem }, { pid: null });
    }
    noted.delete(name);
    let proc: ContainerProc | undefined;
    await ctx.step(`start container ${name}: ${c.argv.join(' ')}`, async () => {
      proc = await o.runtime.launch(name, c.argv, () => kick());
    });
    if (ctx.dryRun) return;
    if (!proc) return observe(ctx, ct, { kind: 'error', reason: 'launch failed' }, { pid: null });
    const entry = t ?? { restarts: 0, streak: 0, notBefore: 0 };
    Object.assign(entry, { proc, notBefore: 0, wired: false, netFailure: undefined });
    tracked.set(name, entry);
    later(policy.settleMs + 20);
    later(300);
    await observe(ctx, ct, { kind: 'starting' }, { pid: null, restarts: entry.restarts });
  }

  /** Network inside, once the leader exists; a failure ends this run (a crash to the restart policy). */
  async function wire(ctx: AgentContext, ct: Row, name: string, t: Tracked): Promise<number | undefined> {
    const leader = o.runtime.leader(t.proc!);
    if (!leader) {
      later(200);
      return undefined;
    }
    if (t.wired) return leader;
    for (const argv of containerNetSteps(ct, leader)) {
      const ok = await ctx.step(`network of container ${name}: ${argv.join(' ')}`, async () => {
        const r = await o.runner.run(argv);
        if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code}: ${r.stderr.trim().split('\n').at(-1) ?? ''}`);
      });
      if (!ok) {
        t.netFailure = `network: ${argv.slice(argv.indexOf('ip')).join(' ')} failed`;
        await o.runtime.stop(name, t.proc!, stopMs);
        return undefined;
      }
    }
    t.wired = true;
    return leader;
  }

  async function ended(ctx: AgentContext, ct: Row, name: string, t: Tracked, p: ContainerProc): Promise<void> {
    t.proc = undefined;
    const reason = t.netFailure ?? p.ending ?? 'exited';
    const restart = typeof ct.restart === 'string' ? ct.restart : 'always';
    if (restart === 'no' || (restart === 'on-failure' && p.code === 0 && !t.netFailure)) {
      const s: ContainerStatus = { kind: 'exited', reason, restart };
      t.held = { status: renderContainerStatus(s), config: configOf(ct), seen: false };
      ctx.log.log('info', 'container exited', { container: name, pid: p.pid, reason });
      return observe(ctx, ct, s, { pid: null });
    }
    const d = afterCrash(policy, t.streak, (p.endedAt ?? Date.now()) - p.startedAt);
    t.streak = d.streak;
    if (d.kind === 'give-up') {
      const s: ContainerStatus = { kind: 'failed', reason, crashes: d.streak };
      t.held = { status: renderContainerStatus(s), config: configOf(ct), seen: false };
      ctx.log.log('error', 'container failed', { container: name, pid: p.pid, reason, crashes: d.streak });
      return observe(ctx, ct, s, { pid: null });
    }
    t.restarts++;
    t.notBefore = Date.now() + d.inMs;
    later(d.inMs);
    ctx.log.log('warning', 'container crashed', { container: name, pid: p.pid, reason, restarts: t.restarts, retryInMs: d.inMs });
    return observe(ctx, ct, { kind: 'crashed', reason, restart: t.restarts, inMs: d.inMs }, { pid: null, restarts: t.restarts });
  }

  function held(ct: Row, t: Tracked): boolean {
    const h = t.held;
    if (!h) return false;
    if (ct.status === h.status) h.seen = true;
    if (configOf(ct) === h.config && !(ct.status === null && h.seen)) return true;
    Object.assign(t, { held: undefined, streak: 0, notBefore: 0 });
    return false;
  }

  async function reconcileOne(ctx: AgentContext, ct: Row): Promise<void> {
    const name = String(ct.name);
    let t = tracked.get(name);
    if (!t && !rowProblems('Container', ct, ['name']).length) {
      const found = await o.runtime.find(name);
      if (found) {
        t = { proc: found, restarts: (ct.restarts as number | null) ?? 0, streak: 0, notBefore: 0, wired: true };
        tracked.set(name, t);
        later(Math.max(0, found.startedAt + policy.settleMs - Date.now()) + 20);
        ctx.log.log('info', 'adopted running container', { container: name, pid: found.pid });
      }
    }
    const p = t?.proc;
    if (p) await o.runtime.poll(name, p);
    const up = !!p && !p.exited && p.pid > 0;
    if (ct.state !== 'run') {
      if (up && (await ctx.step(`stop container ${name} (pid ${p!.pid})`, () => o.runtime.stop(name, p!, stopMs)))) tracked.delete(name);
      if (!up) tracked.delete(name);
      return observe(ctx, ct, { kind: 'stopped' }, { pid: null });
    }
    if (up) {
      const leader = await wire(ctx, ct, name, t!);
      const settled = Date.now() - p!.startedAt >= policy.settleMs && !!leader;
      return observe(ctx, ct, { kind: settled ? 'running' : 'starting' }, { pid: leader ?? null, restarts: t!.restarts });
    }
    if (t && p) return ended(ctx, ct, name, t, p);
    if (t && held(ct, t)) return;
    if (t && Date.now() < t.notBefore) return;
    if (ctx.stopping() || (!ctx.dryRun && !ctx.connected())) return;
    await start(ctx, ct, name, t);
  }

  return {
    name: 'container',
    tables: { Container: {} },
    intervalMs: 2000,
    attach: (k) => {
      kick = k;
    },
    async reconcile(ctx) {
      const rows = ctx.rows('Container');
      for (const ct of rows) {
        if (ctx.stopping()) return;
        await reconcileOne(ctx, ct);
      }
      const gone = (name: string) => !rows.some((r) => r.name === name);
      for (const [name, t] of tracked) {
        if (!gone(name)) continue;
        const p = t.proc;
        if (p) await o.runtime.poll(name, p);
        if (!p || p.exited || (await ctx.step(`stop container ${name} (row deleted, pid ${p.pid})`, () => o.runtime.stop(name, p, stopMs))))
          tracked.delete(name);
      }
      for (const name of [...noted.keys()].filter(gone)) noted.delete(name);
    },
    // Unlike VMs, containers end with the agent: stopping the agent (or its unit) leaves none running.
    async shutdown() {
      await Promise.all(
        [...tracked].map(async ([name, t]) => {
          if (t.proc && !t.proc.exited) await o.runtime.stop(name, t.proc, stopMs).catch(() => undefined);
        }),
      );
      tracked.clear();
    },
  };
}
