import { existsSync, readFileSync } from 'node:fs';
import { parseHead, toEntries, verifyChain } from '../audit.js';
import { selectAll } from '../commit.js';
import { SysdbError } from '../errors.js';
import type { OvsdbClient } from '../ovsdb/client.js';
import type { Condition } from '../ovsdb/protocol.js';
import type { Io } from './io.js';

/** Where the audit agent keeps its copy of the head on the device: beside the database. */
export const ANCHOR_FILE = '/var/lib/sysdb/audit-head';

export interface AuditOptions {
  who?: string;
  table?: string;
  last?: string;
  anchor?: string;
  localDevice: boolean;
}

function count(text: string, what: string): number {
  if (!/^[1-9]\d{0,9}$/.test(text)) throw new SysdbError('USAGE', `${what} must be a positive integer, not "${text}"`);
  return Number(text);
}

/** `audit [--who W] [--table T] [--last N]`, `audit show N`, `audit verify [--anchor FILE]`. */
export async function auditVerb(client: OvsdbClient, args: string[], o: AuditOptions, io: Io): Promise<number> {
  const [sub, arg] = args;
  const [system] = await selectAll(client, 'System');
  if (sub === undefined) {
    const head = parseHead(system?.audit_head as string | null);
    // --last reads only the newest entries (seq is indexed), not the whole table.
    const where: Condition[] = o.last && head ? [['seq', '>', head.seq - count(o.last, '--last')]] : [];
    const entries = toEntries(await selectAll(client, 'Audit', where))
      .filter((e) => !o.who || e.who.includes(o.who))
      .filter((e) => !o.table || e.change.toLowerCase().includes(`"table":"${o.table.toLowerCase()}`) || e.change.includes(`"table":"${o.table}"`));
    for (const e of entries) io.out(`${e.seq} ${e.time} ${e.who} ${e.change}`);
    return 0;
  }
  if (sub === 'show') {
    const seq = count(arg ?? '', 'audit show N');
    const [e] = toEntries(await selectAll(client, 'Audit', [['seq', '==', seq]]));
    if (!e) throw new SysdbError('NOT_FOUND', `audit entry ${seq} does not exist`);
    io.out(`entry ${e.seq}\ntime ${e.time}\nwho  ${e.who}\nprev ${e.prev}\nhash ${e.hash}\nchange ${JSON.stringify(JSON.parse(e.change), null, 2)}`);
    return 0;
  }
  if (sub !== 'verify') throw new SysdbError('USAGE', `unknown audit command "${sub}" (expected show N or verify)`);
  const anchors: { where: string; head: string }[] = [];
  if (typeof system?.audit_anchor === 'string') anchors.push({ where: 'audit agent (System.audit_anchor)', head: system.audit_anchor });
  const file = o.anchor ?? (o.localDevice && existsSync(ANCHOR_FILE) ? ANCHOR_FILE : undefined);
  if (file) {
    try {
      anchors.push({ where: `anchor file ${file}`, head: readFileSync(file, 'utf8') });
    } catch (e) {
      throw new SysdbError('USAGE', `--anchor ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  const verdict = verifyChain(toEntries(await selectAll(client, 'Audit')), (system?.audit_head as string | null) ?? null, anchors);
  if (verdict.ok) {
    io.out(`audit log intact: ${verdict.entries} entries${anchors.length ? ` (matches ${anchors.map((a) => a.where).join(', ')})` : ''}`);
    return 0;
  }
  for (const p of verdict.problems) io.err(`sysdb: audit: ${p}`);
  return 3;
}
