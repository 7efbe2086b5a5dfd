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
  const deviceWaitMs = o.deviceWaitMs ?? 15_000;
  // Targets this process set up; on delete they are torn down. Rows carry everything needed, so
  // the last seen row is remembered rather than re-derived from iscsiadm's output.
  const managed = new Map<string, Target>();

  /** Runs the steps in order; the first failure's message (it goes into the status), or undefined. */
  async function run(ctx: AgentContext, steps: Step[]): Promise<string | undefined> {
    for (const s of steps) {
      let failure = `${describeStep(s)} failed`;
      const ok = await ctx.step(describeStep(s), async () => {
        try {
          await applyStep(s, o.runner);
        } catch (e) {
          failure = (e as Error).message;
          throw e;
        }
      });
      if (!ok) return failure;
    }
    return undefined;
  }

  async function waitForDevice(path: string): Promise<boolean> {
    const end = Date.now() + deviceWaitMs;
    while (!probe.exists(path)) {
      if (Date.now() > end) return false;
      await new Promise((r) => setTimeout(r, 200));
    }
    return true;
  }

  async function bringUp(ctx: AgentContext, row: Row): Promise<void> {
    const name = String(row.name);
    const problems = rowProblems('Storage', row).join('; ');
    ctx.reject('Storage', name, problems || undefined);
    if (problems) {
      return ctx.observe('Storage', row, { status: `error: ${problems}`, device: null });
    }
    const t = targetOf(row);
    managed.set(name, t);
    const sessions = await loggedIn(o.runner);
    const login: Step[] = sessions.includes(t.iqn)
      ? []
      : [
          { kind: 'run', argv: ['iscsiadm', '-m', 'discovery', '-t', 'sendtargets', '-p', t.portal] },
          { kind: 'run', argv: ['iscsiadm', '-m', 'node', '-T', t.iqn, '-p', t.portal, '--login'] },
        ];
    const loginFailure = await run(ctx, login);
    if (loginFailure) return ctx.observe('Storage', row, { status: `error: ${loginFailure}`, device: null });
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
      ctx.log.log('error', 'LUN block device did not appear', { storage: name, device: dev });
      return ctx.observe('Storage', row, { status: `error: logged in, but ${dev} did not appear within ${deviceWaitMs / 1000} s`, device: null });
    }
    if (!mountedAt(probe.mounts(), t.mountPoint)) {
      const mountFailure = await run(ctx, [
        { kind: 'mkdir', path: t.mountPoint },
        { kind: 'run', argv: ['mount', ...(t.fstype ? ['-t', t.fstype] : []), '--', dev, t.mountPoint] },
      ]);
      if (mountFailure) return ctx.observe('Storage', row, { status: `error: ${mountFailure}`, device: dev });
    }
    await ctx.observe('Storage', row, { status: 'mounted', device: dev });
  }

  async function tearDown(ctx: AgentContext, name: string, t: Target): Promise<void> {
    const steps: Step[] = [];
    if (mountedAt(probe.mounts(), t.mountPoint)) steps.push({ kind: 'run', argv: ['umount', '--', t.mountPoint] });
    if ((await loggedIn(o.runner)).includes(t.iqn)) steps.push({ kind: 'run', argv: ['iscsiadm', '-m', 'node', '-T', t.iqn, '-p', t.portal, '--logout'] });
    if ((await run(ctx, steps)) === undefined && !ctx.dryRun) managed.delete(name);
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
