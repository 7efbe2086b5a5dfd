// Which ids a user namespace of ours maps: root inside is the invoking user, and ids 1..count are
// the user's subordinate range from /etc/subuid and /etc/subgid (as rootless podman and
// mmdebstrap --mode=unshare do), so files owned by _apt, messagebus or 1000 keep their owners.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';

export interface SubRange {
  start: number;
  count: number;
}

/** A range for the user, or undefined: then only root is mapped (see README: what it costs). */
export type IdMap = { kind: 'range'; uid: number; gid: number; users: SubRange; groups: SubRange } | { kind: 'single'; uid: number; gid: number; why: string };

function firstRange(file: string, name: string, id: number): SubRange | undefined {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [who, start, count] = line.trim().split(':');
    if ((who === name || who === String(id)) && Number(count) > 0) return { start: Number(start), count: Number(count) };
  }
  return undefined;
}

export function idMap(files = { subuid: '/etc/subuid', subgid: '/etc/subgid' }): IdMap {
  const u = userInfo();
  const uid = process.getuid?.() ?? u.uid;
  const gid = process.getgid?.() ?? u.gid;
  const users = firstRange(files.subuid, u.username, uid);
  const groups = firstRange(files.subgid, u.username, uid);
  if (users && groups) return { kind: 'range', uid, gid, users, groups };
  return { kind: 'single', uid, gid, why: `no subordinate id range for ${u.username} in ${users ? files.subgid : files.subuid}` };
}

/** newuidmap/newgidmap arguments: inside id, outside id, count triples. */
export function mapArgs(m: Extract<IdMap, { kind: 'range' }>, which: 'uid' | 'gid'): string[] {
  const own = which === 'uid' ? m.uid : m.gid;
  const r = which === 'uid' ? m.users : m.groups;
  return ['0', String(own), '1', '1', String(r.start), String(r.count)];
}
