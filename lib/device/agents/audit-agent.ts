import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { headOf, parseHead, type Head } from '../audit.js';
import type { Agent, AgentContext } from './agent-runtime.js';

export interface AuditAgentOptions {
  anchorFile: string;
  intervalMs?: number;
}

async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

/**
 * Anchors the audit head outside the database: a file beside it (written only forwards) and a line in
 * the journal for every new head. ovsdb-server serves a damaged file as it was before the damaged
 * record, and a restored backup is self-consistent, so the database cannot vouch for itself; this
 * agent compares it with the anchor and, when the database is behind or differs, copies the anchor
 * into System.audit_anchor, where `sysdb audit verify` (local or remote) reports it.
 */
export function auditAgent(o: AuditAgentOptions): Agent {
  async function stillThere(ctx: AgentContext, anchored: Head): Promise<boolean> {
    const [entry] = await ctx.select('Audit', [['seq', '==', anchored.seq]]);
    return entry?.hash === anchored.hash;
  }

  return {
    name: 'audit',
    tables: { System: { columns: ['audit_head', 'audit_anchor'] } },
    intervalMs: o.intervalMs ?? 30_000,
    async reconcile(ctx) {
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
      const ok = await ctx.step(`anchor audit head ${headOf(head)} in ${o.anchorFile}`, () => writeAtomically(o.anchorFile, `${headOf(head)}\n`));
      if (!ok || ctx.dryRun) return;
      ctx.log.log('info', 'audit head', { head: headOf(head) });
      if (sys) await ctx.observe('System', sys, { audit_anchor: headOf(head) });
    },
  };
}
