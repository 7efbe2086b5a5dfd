// A tar of a proot root (every file on disk the user's) with the owners the steps believed in:
// each entry's owner is looked up by the inode of the file it was read from, else root's.
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { extract, pack } from 'tar-stream';
import { inodeKey, type InodeOwners, ROOT_OWNER } from './root-owners.js';

export function withOwners(tar: Readable, dir: string, owners: Promise<InodeOwners>): Readable {
  const x = extract();
  const p = pack();
  x.on('entry', (h, body, next) => {
    void (async () => {
      const s = await lstat(join(dir, h.name), { bigint: true }).catch(() => undefined);
      const [uid, gid] = (s && (await owners).get(inodeKey(s.dev, s.ino))) || ROOT_OWNER;
      const entry = p.entry({ ...h, uid, gid, uname: '', gname: '' }, (err) => (err ? x.destroy(err) : next()));
      body.pipe(entry);
    })().catch((err: Error) => x.destroy(err));
  });
  x.on('finish', () => p.finalize());
  x.on('error', (err) => p.destroy(err));
  tar.on('error', (err) => x.destroy(err));
  tar.pipe(x);
  return p as unknown as Readable;
}
