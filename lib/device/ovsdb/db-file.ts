import { createHash } from 'node:crypto';
import { SysdbError } from '../errors.js';

// An OVSDB standalone database file is a log of records, each "OVSDB JSON <length> <sha1>\n" and
// <length> bytes of JSON: the schema first, then one record per committed transaction. Two
// databases holding the same rows still differ in bytes: ovsdb-server stamps every record with its
// wall clock ("_date") and gives rows random UUIDs. canonicalDb rewrites both from the content, so
// an image build that seeds Sysdb (stalks/raspi-agents) writes the same file every time.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Rows = Record<string, Json>;

const MAGIC = 'OVSDB JSON ';
const UUID_IN_TEXT = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
// The namespace of the name-based UUIDs given to rows: fixed, so the same content gives the same ids.
const NAMESPACE = Buffer.from('5b7e0c1e6d1a4f0e9a3c2d7f8e4b1a60', 'hex');

export function readDbFile(bytes: Buffer, what = 'database file'): Json[] {
  const records: Json[] = [];
  for (let at = 0; at < bytes.length;) {
    const nl = bytes.indexOf(0x0a, at);
    const header = bytes.subarray(at, nl < 0 ? bytes.length : nl).toString('latin1');
    const m = /^OVSDB JSON (\d+) ([0-9a-f]{40})$/.exec(header);
    if (nl < 0 || !m)
      throw new SysdbError('BAD_STATE_FILE', `${what}: byte ${at}: not an OVSDB standalone record header (a clustered database is not supported)`);
    const body = bytes.subarray(nl + 1, nl + 1 + Number(m[1]));
    if (body.length !== Number(m[1]) || createHash('sha1').update(body).digest('hex') !== m[2])
      throw new SysdbError('BAD_STATE_FILE', `${what}: record ${records.length + 1} is truncated or does not match its checksum`);
    try {
      records.push(JSON.parse(body.toString('utf8')) as Json);
    } catch (e) {
      throw new SysdbError('BAD_STATE_FILE', `${what}: record ${records.length + 1} is not JSON: ${(e as Error).message}`);
    }
    at = nl + 1 + body.length;
  }
  if (!records.length) throw new SysdbError('BAD_STATE_FILE', `${what}: empty`);
  return records;
}

export function writeDbFile(records: Json[]): Buffer {
  return Buffer.concat(
    records.map((r) => {
      const body = Buffer.from(JSON.stringify(r), 'utf8');
      return Buffer.concat([Buffer.from(`${MAGIC}${body.length} ${createHash('sha1').update(body).digest('hex')}\n`, 'latin1'), body]);
    }),
  );
}

function nameUuid(n: number): string {
  const h = createHash('sha1').update(NAMESPACE).update(`row ${n}`).digest();
  h[6] = (h[6] & 0x0f) | 0x50; // version 5: name-based
  h[8] = (h[8] & 0x3f) | 0x80; // RFC 4122 variant
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

const isObject = (v: Json): v is { [k: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The same database with row UUIDs numbered in content order (records in order, tables by name,
 * new rows by their values) and every record dated epochMs. Rows that refer to other rows, or a
 * row UUID quoted inside a string, cannot be renumbered safely: those are refused.
 */
export function canonicalDb(records: Json[], epochMs: number): Json[] {
  const ids = new Map<string, string>();
  const [schema, ...txns] = records;
  const all = txns.map((t, i) => {
    if (!isObject(t)) throw new SysdbError('BAD_STATE_FILE', `record ${i + 2} is not a transaction`);
    return t;
  });
  const original = new Set(all.flatMap((t) => Object.entries(t).flatMap(([k, rows]) => (!k.startsWith('_') && isObject(rows) ? Object.keys(rows) : []))));
  const refuse = (v: Json, where: string): void => {
    if (typeof v === 'string' && (v.match(UUID_IN_TEXT) ?? []).some((id) => original.has(id)))
      throw new SysdbError('BAD_STATE_FILE', `${where}: a row UUID inside a string value cannot be renumbered`);
    if (Array.isArray(v) && (v[0] === 'uuid' || v[0] === 'named-uuid'))
      throw new SysdbError('BAD_STATE_FILE', `${where}: references between rows are not supported`);
    if (Array.isArray(v)) v.forEach((x) => refuse(x, where));
    else if (isObject(v)) Object.values(v).forEach((x) => refuse(x, where));
  };
  const out = all.map((t) => {
    const rec: { [k: string]: Json } = {};
    for (const table of Object.keys(t)
      .filter((k) => !k.startsWith('_'))
      .sort()) {
      const rows = t[table];
      if (!isObject(rows)) throw new SysdbError('BAD_STATE_FILE', `table ${table}: rows are not an object`);
      for (const [id, row] of Object.entries(rows)) refuse(row, `${table} row ${id}`);
      const fresh = Object.keys(rows)
        .filter((id) => !ids.has(id))
        .sort((a, b) => (JSON.stringify(rows[a]) < JSON.stringify(rows[b]) ? -1 : 1));
      for (const id of fresh) ids.set(id, nameUuid(ids.size));
      const order = [...ids.keys()].filter((id) => id in rows);
      const renamed: Rows = {};
      for (const id of order) renamed[ids.get(id)!] = rows[id];
      rec[table] = renamed;
    }
    rec._date = epochMs;
    for (const k of ['_comment', '_is_diff']) if (k in t) rec[k] = t[k];
    return rec;
  });
  return [schema, ...out];
}
