import { mkdir, open, readFile, rename } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { headOf, parseHead, type Head } from '../audit.js';
import type { Change } from '../changes.js';
import type { TableUpdates } from '../ovsdb/protocol.js';
import type { Agent, AgentContext } from './agent-runtime.js';
import { CONFIG_TABLES, headMove, unauditedChanges } from './unaudited-changes.js';

export interface AuditAgentOptions {
  anchorFile: string;
  intervalMs?: number;
  /** `who` of the entries it writes for changes made outside sysdb (default outside-sysdb@<host>). */
  who?: string;
}

/** A temp file, fsynced, renamed over the anchor, and the directory fsynced: the anchor survives a power cut. */
async function writeDurably(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = await open(`${file}.tmp`, 'w', 0o644);
  try {
    await tmp.writeFile(text);
    await tmp.sync();
  } finally {
    await tmp.close();
  }
  await rename(`${file}.tmp`, file);
  const dir = await open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/**
 * Anchors the audit head outside the database: a file beside it (written only forwards) and a line in
 * the journal for every new head. ovsdb-server serves a damaged file as it was before the damaged
 * record, and a restored backup is self-consistent, so the database cannot vouch for itself; this
 * agent compares it with the anchor and, when the database is behind or differs, copies the anchor
 * into System.audit_anchor, where `sysdb audit verify` (local or remote) reports it.
 */
export function auditAgent(o: AuditAgentOptions): Agent {
  const pending: TableUpdates[] = [];
  const who = o.who ?? `outside-sysdb@${os.hostname()}`;

  async function stillThere(ctx: AgentContext, anchored: Head): Promise<boolean> {
    const [entry] = await ctx.select('Audit', [['seq', '==', anchored.seq]]);
    return entry?.hash === anchored.hash;
  }

  /**
   * Every configuration change the agents act on is audited: sysdb writes its entry in the same
   * transaction, so a change that arrives without one came from another OVSDB client, and this
   * agent records it (who cannot be known: OVSDB does not say which client wrote).
   */
  async function auditForeign(ctx: AgentContext, updates: TableUpdates): Promise<void> {
    const moved = headMove(updates);
    const audited: Change[] = [];
    if (moved && moved[1] > moved[0]) {
      const rows = await ctx.select('Audit', [
        ['seq', '>', moved[0]],
        ['seq', '<=', moved[1]],
      ]);
      for (const r of rows) {
        try {
          audited.push(...(JSON.parse(String(r.change)) as Change[]));
        } catch {
          // an entry whose change is not JSON covers nothing; audit verify reports the edit
        }
      }
    }
    const foreign = unauditedChanges(updates, audited);
    if (!foreign.length) return;
    const what = foreign.map((c) => `${c.op} ${c.table} ${c.key}`).join(', ');
    ctx.log.log('warning', 'change made outside sysdb', { changes: what });
    await ctx.step(`audit ${foreign.length} change(s) made outside sysdb: ${what}`, async () => {
      await ctx.recordAudit(foreign, who);
    });
  }

  return {
    name: 'audit',
    // Configuration tables in full (to see what a write changed); System also for the head.
    tables: Object.fromEntries(CONFIG_TABLES.map((t) => [t, {}])),
    intervalMs: o.intervalMs ?? 30_000,
    updates: (u) => {
      if (CONFIG_TABLES.some((t) => u[t])) pending.push(u);
    },
    async reconcile(ctx) {
      while (pending.length) {
        const u = pending.shift()!;
        await auditForeign(ctx, u).catch((e: Error) => ctx.log.log('error', 'could not audit a change made outside sysdb', { error: e.message }));
      }
      const sys = ctx.rows('System')[0];
      const head = parseHead(sys?.audit_head as string | null);
      const anchored = parseHead(await readFile(o.anchorFile, 'utf8').catch(() => ''));
      if (anchored && (!head || head.seq < anchored.seq || !(await stillThere(ctx, anchored)))) {
        ctx.log.log('error', 'audit head behind its anchor: database rolled back, truncated or rewritten', {
          anchor: headOf(anchored),
          head: sys?.audit_head ?? null,
          file: o.anchorFile,
        });
        if (sys) await ctx.observe('System', sys, { audit_anchor: headOf(anchored) });
        return;
      }
      if (!head || (anchored && headOf(anchored) === headOf(head) && sys?.audit_anchor === headOf(head))) return;
      const ok = await ctx.step(`anchor audit head ${headOf(head)} in ${o.anchorFile}`, () => writeDurably(o.anchorFile, `${headOf(head)}\n`));
      if (!ok || ctx.dryRun) return;
      ctx.log.log('info', 'audit head', { head: headOf(head) });
      if (sys) await ctx.observe('System', sys, { audit_anchor: headOf(head) });
    },
  };
}
