// One build per image repository at a time on this host: two builds of one tree would race to
// move the same tags and do the same work twice. The lock is a file naming its holder; a holder
// that died (kill -9, power loss) leaves a stale file, which the next build takes over.
import { existsSync } from 'node:fs';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StalkerError } from '../errors.js';
import { processAlive } from '../util/process-alive.js';

export interface LockHolder {
  pid: number;
  run: string;
  tree: string;
  started: string;
}

export function lockDir(): string {
  // Per user for others than root: root's directory is not theirs to write (and a rootless
  // backend's images are the user's own anyway).
  const uid = process.getuid?.() ?? 0;
  const name = uid === 0 ? 'stalker' : `stalker-${uid}`;
  return process.env.STALKER_LOCK_DIR ?? (existsSync('/run/lock') ? `/run/lock/${name}` : join(tmpdir(), `${name}-locks`));
}

/**
 * Takes the lock of `repository` or throws BUSY naming who holds it; resolves to its release.
 * `on`: the engine (a site's other daemon or store) whose tags the build moves; tags are per
 * engine, so builds of one repository on two engines do not race (absent: the default engine).
 */
export async function acquireBuildLock(repository: string, me: Omit<LockHolder, 'pid' | 'started'>, on?: string): Promise<() => Promise<void>> {
  const dir = lockDir();
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${repository.replaceAll('/', '_')}${on ? `@${on.replace(/[^A-Za-z0-9._-]+/g, '_')}` : ''}.lock`);
  if (on) repository = `${repository} (engine ${on})`;
  const holder: LockHolder = { pid: process.pid, ...me, started: new Date().toISOString() };
  // written whole under another name, then linked: the lock file is never seen half-written
  const mine = `${path}.${process.pid}.${me.run}`;
  await writeFile(mine, JSON.stringify(holder));
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(mine, path);
        return async () => {
          const now = await readHolder(path);
          if (now?.run === holder.run) await unlink(path).catch(() => {});
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const other = await readHolder(path);
      if (other && processAlive(other.pid)) {
        throw new StalkerError(
          'BUSY',
          `repository ${repository} is being built by pid ${other.pid} (run ${other.run} of ${other.tree}, since ${other.started}): wait for it to finish, or stop it; lock file ${path}`,
        );
      }
      await unlink(path).catch(() => {}); // stale: its holder is gone
    }
    throw new StalkerError('BUSY', `could not take the build lock ${path}`);
  } finally {
    await unlink(mine).catch(() => {});
  }
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockHolder;
  } catch {
    return undefined; // removed meanwhile
  }
}
