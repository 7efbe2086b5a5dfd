import { createHash } from 'node:crypto';
import type { Row } from './ovsdb/datum.js';

// The audit log lives in the database's Audit table and is written in the same transaction as the
// change it records, so no change can land without its entry. System.audit_head ("seq:hash") pins
// the newest entry, which makes removing the tail detectable too, not only edits in the middle.
export const GENESIS = '0'.repeat(64);

export interface AuditEntry { seq: number; time: string; who: string; change: string; prev: string; hash: string }

export function entryHash(e: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256').update(JSON.stringify([e.seq, e.time, e.who, e.change, e.prev])).digest('hex');
}

export function nextEntry(last: AuditEntry | undefined, who: string, change: unknown, now = new Date()): AuditEntry {
  const base = { seq: (last?.seq ?? 0) + 1, time: now.toISOString(), who, change: JSON.stringify(change), prev: last?.hash ?? GENESIS };
  return { ...base, hash: entryHash(base) };
}

export function headOf(e: AuditEntry): string {
  return `${e.seq}:${e.hash}`;
}

export function toEntries(rows: Row[]): AuditEntry[] {
  return rows
    .map((r) => ({ seq: r.seq as number, time: r.time as string, who: r.who as string, change: r.change as string, prev: r.prev as string, hash: r.hash as string }))
    .sort((a, b) => a.seq - b.seq);
}

export type AuditVerdict = { ok: true; entries: number } | { ok: false; problems: string[] };

export function verifyChain(entries: AuditEntry[], head: string | null): AuditVerdict {
  const problems: string[] = [];
  let prev = GENESIS;
  entries.forEach((e, i) => {
    if (e.seq !== i + 1) problems.push(`entry ${i + 1} is missing (found seq ${e.seq} in its place)`);
    if (e.prev !== prev) problems.push(`entry ${e.seq}: previous-hash does not match entry ${e.seq - 1}`);
    if (entryHash(e) !== e.hash) problems.push(`entry ${e.seq}: content was edited (hash mismatch)`);
    prev = e.hash;
  });
  const last = entries.at(-1);
  const expected = last ? headOf(last) : null;
  if ((head ?? null) !== expected) problems.push(`newest entry does not match the recorded head ${head ?? 'none'} (entries removed from the end?)`);
  return problems.length ? { ok: false, problems } : { ok: true, entries: entries.length };
}
