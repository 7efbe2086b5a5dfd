import { createHash } from 'node:crypto';
import type { Row } from './ovsdb/datum.js';

// The audit log lives in the database's Audit table and is written in the same transaction as the
// change it records, so no change can land without its entry. System.audit_head ("seq:hash") pins
// the newest entry, which makes removing the tail detectable too, not only edits in the middle. The
// head is also anchored outside the database (audit-anchor.ts), so a rolled-back file is detected.
export const GENESIS = '0'.repeat(64);

export interface AuditEntry {
  seq: number;
  time: string;
  who: string;
  change: string;
  prev: string;
  hash: string;
}
export interface Head {
  seq: number;
  hash: string;
}

export function entryHash(e: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256')
    .update(JSON.stringify([e.seq, e.time, e.who, e.change, e.prev]))
    .digest('hex');
}

export function nextEntry(last: Head | undefined, who: string, change: unknown, now = new Date()): AuditEntry {
  const base = { seq: (last?.seq ?? 0) + 1, time: now.toISOString(), who, change: JSON.stringify(change), prev: last?.hash ?? GENESIS };
  return { ...base, hash: entryHash(base) };
}

export function headOf(e: Head): string {
  return `${e.seq}:${e.hash}`;
}

export function parseHead(text: string | null | undefined): Head | undefined {
  const m = /^(\d+):([0-9a-f]{64})$/.exec(String(text ?? '').trim());
  return m ? { seq: Number(m[1]), hash: m[2] } : undefined;
}

export function toEntries(rows: Row[]): AuditEntry[] {
  return rows
    .map((r) => ({
      seq: r.seq as number,
      time: r.time as string,
      who: r.who as string,
      change: r.change as string,
      prev: r.prev as string,
      hash: r.hash as string,
    }))
    .sort((a, b) => a.seq - b.seq);
}

export type AuditVerdict = { ok: true; entries: number } | { ok: false; problems: string[] };

/**
 * Checks the chain, the recorded head and, when given, the anchors kept outside the database. A
 * deleted entry is one problem line (the next entry's prev-hash is not blamed for the gap).
 */
export function verifyChain(entries: AuditEntry[], head: string | null, anchors: { where: string; head: string }[] = []): AuditVerdict {
  const problems: string[] = [];
  let prev: AuditEntry | undefined;
  for (const e of entries) {
    const expected = (prev?.seq ?? 0) + 1;
    if (e.seq > expected)
      problems.push(e.seq === expected + 1 ? `entry ${expected} is missing (deleted)` : `entries ${expected}..${e.seq - 1} are missing (deleted)`);
    else if (e.prev !== (prev?.hash ?? GENESIS)) problems.push(`entry ${e.seq}: previous-hash does not match entry ${e.seq - 1}`);
    if (entryHash(e) !== e.hash) problems.push(`entry ${e.seq}: content was edited (hash mismatch)`);
    prev = e;
  }
  const last = entries.at(-1);
  const expected = last ? headOf(last) : null;
  if ((head ?? null) !== expected) problems.push(`newest entry does not match the recorded head ${head ?? 'none'} (entries removed from the end?)`);
  for (const a of anchors) {
    const anchored = parseHead(a.head);
    if (!anchored) continue;
    const e = entries.find((x) => x.seq === anchored.seq);
    if (!e) problems.push(`the ${a.where} records entry ${anchored.seq}, the database ends at ${last?.seq ?? 0}: database rolled back or truncated`);
    else if (e.hash !== anchored.hash) problems.push(`entry ${anchored.seq} differs from the one the ${a.where} records: database rewritten`);
  }
  return problems.length ? { ok: false, problems } : { ok: true, entries: entries.length };
}
