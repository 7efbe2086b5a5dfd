import { existsSync, readFileSync } from 'node:fs';
import type { Row } from '../ovsdb/datum.js';
import type { Agent, AgentContext } from './agent-runtime.js';
import type { CommandRunner } from './command-runner.js';
import { rowProblems } from '../formats.js';
import { applyStep, describeStep, type Step } from './plan.js';

/** What the storage agent reads from the system; injectable because the iSCSI initiator is absent in CI. */
export interface StorageProbe {
  exists(path: string): boolean;
  mounts(): string;
}
export const realProbe: StorageProbe = { exists: existsSync, mounts: () => readFileSync('/proc/mounts', 'utf8') };

export interface StorageAgentOptions {
  runner: CommandRunner;
  probe?: StorageProbe;
  deviceWaitMs?: number;
  intervalMs?: number;
}

interface Target {
  iqn: string;
  portal: string;
  lun: number;
  mountPoint: string;
  fstype: string | null;
}

const byPath = (t: Target) => `/dev/disk/by-path/ip-${t.portal}:3260-iscsi-${t.iqn}-lun-${t.lun}`;
const targetOf = (r: Row): Target => ({
  iqn: String(r.target_iqn),
  portal: String(r.portal),
  lun: Number(r.lun),
  mountPoint: String(r.mount_point),
  fstype: (r.fstype as string | null) ?? null,
});
// /proc/mounts writes space, tab, newline and backslash in paths as octal escapes (\040 ...).
const unescapeMount = (field: string) => field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
export const mountedAt = (mounts: string, mp: string) => mounts.split('\n').some((l) => l.split(' ')[1] !== undefined && unescapeMount(l.split(' ')[1]) === mp);

async function loggedIn(runner: CommandRunner): Promise<string> {
  // iscsiadm exits 21 with "No active sessions": that is an empty list, not a failure.
  const r = await runner.run(['iscsiadm', '-m', 'session']);
  return r.code === 0 ? r.stdout : '';
}

export function storageAgent(o: StorageAgentOptions): Agent {
  const probe = o.probe ?? realProbe;
  // Targets this process set up; on delete they are torn down. Rows carry everything needed, so
  // the last seen row is remembered rather than re-derived from iscsiadm's output.
  const managed = new Map<string, Target>();

  async function run(ctx: AgentContext, steps: Step[]): Promise<boolean> {
    for (const s of steps) if (!(await ctx.step(describeStep(s), () => applyStep(s, o.runner)))) return false;
    return true;
  }

  async function waitForDevice(path: string): Promise<boolean> {
    const end = Date.now() + (o.deviceWaitMs ?? 15_000);
    while (!probe.exists(path)) {
      if (Date.now() > end) return false;
      await new Promise((r) => setTimeout(r, 200));
    }
    return true;
  }

  async function bringUp(ctx: AgentContext, row: Row): Promise<void> {
    const problems = rowProblems('Storage', row);
    if (problems.length) {
      ctx.log.log('error', 'value rejected', { table: 'Storage', row: row.name, problem: problems.join('; ') });
      return ctx.observe('Storage', row, { status: 'error', device: null });
    }
    const t = targetOf(row);
    managed.set(String(row.name), t);
    const sessions = await loggedIn(o.runner);
    const login: Step[] = sessions.includes(t.iqn)
      ? []
      : [
          { kind: 'run', argv: ['iscsiadm', '-m', 'discovery', '-t', 'sendtargets', '-p', t.portal] },
          { kind: 'run', argv: ['iscsiadm', '-m', 'node', '-T', t.iqn, '-p', t.portal, '--login'] },
        ];
    if (!(await run(ctx, login))) return ctx.observe('Storage', row, { status: 'error', device: null });
    const dev = byPath(t);
    if (ctx.dryRun) {
      if (!mountedAt(probe.mounts(), t.mountPoint))
        await run(ctx, [
          { kind: 'mkdir', path: t.mountPoint },
          { kind: 'run', argv: ['mount', ...(t.fstype ? ['-t', t.fstype] : []), '--', dev, t.mountPoint] },
        ]);
      return;
    }
    if (!(await waitForDevice(dev))) {
      ctx.log.log('error', 'LUN block device did not appear', { storage: row.name, device: dev });
      return ctx.observe('Storage', row, { status: 'logged-in', device: null });
    }
    if (!mountedAt(probe.mounts(), t.mountPoint)) {
      const ok = await run(ctx, [
        { kind: 'mkdir', path: t.mountPoint },
        { kind: 'run', argv: ['mount', ...(t.fstype ? ['-t', t.fstype] : []), '--', dev, t.mountPoint] },
      ]);
      if (!ok) return ctx.observe('Storage', row, { status: 'error', device: dev });
    }
    await ctx.observe('Storage', row, { status: 'mounted', device: dev });
  }

  async function tearDown(ctx: AgentContext, name: string, t: Target): Promise<void> {
    const steps: Step[] = [];
    if (mountedAt(probe.mounts(), t.mountPoint)) steps.push({ kind: 'run', argv: ['umount', '--', t.mountPoint] });
    if ((await loggedIn(o.runner)).includes(t.iqn)) steps.push({ kind: 'run', argv: ['iscsiadm', '-m', 'node', '-T', t.iqn, '-p', t.portal, '--logout'] });
    if ((await run(ctx, steps)) && !ctx.dryRun) managed.delete(name);
  }

  return {
    name: 'storage',
    tables: { Storage: {} },
    intervalMs: o.intervalMs ?? 10_000,
    async reconcile(ctx) {
      const rows = ctx.rows('Storage');
      for (const [name, t] of managed) {
        const row = rows.find((r) => r.name === name);
        // A row that now points elsewhere is a delete of the old target plus a create of the new one.
        if (!row || JSON.stringify(targetOf(row)) !== JSON.stringify(t)) await tearDown(ctx, name, t);
      }
      for (const row of rows) await bringUp(ctx, row);
    },
  };
}
