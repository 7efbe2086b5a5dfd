// An ordinary user for the rootless backends' tests: made once (useradd, with a subordinate id
// range in /etc/subuid and /etc/subgid), a work directory it owns, and stalker run as it.
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { appendFileSync, chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const USER = 'stalker-rl';
/** One without a subordinate range: the backend maps only root and says so. */
export const SINGLE_USER = 'stalker-rl1';
const STALKER = join(process.cwd(), 'bin', 'stalker');

export interface RootlessUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  subStart: number;
}

function hasRange(file: string, name = USER): number | undefined {
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  return line ? Number(line.split(':')[1]) : undefined;
}

export function rootlessUser(name = USER): RootlessUser {
  if (spawnSync('id', ['-u', name]).status !== 0) execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', name]);
  if (name === SINGLE_USER) {
    for (const f of ['/etc/subuid', '/etc/subgid'])
      writeFileSync(
        f,
        readFileSync(f, 'utf8')
          .split('\n')
          .filter((l) => !l.startsWith(`${name}:`))
          .join('\n'),
      );
  } else {
    // useradd adds a range on most systems; make sure of it (an unused block high above others)
    for (const f of ['/etc/subuid', '/etc/subgid']) if (hasRange(f, name) === undefined) appendFileSync(f, `${name}:3000000:65536\n`);
  }
  // bin/stalker rebuilds a stale dist/ first: as root here, for the user cannot write dist/
  execFileSync(STALKER, ['--help'], { stdio: 'ignore' });
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }));
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }));
  return { name, uid, gid, home: `/home/${name}`, subStart: hasRange('/etc/subuid', name) ?? 0 };
}

/** A fresh directory the user owns (its projects, store and outputs go there). */
export function userDir(u: RootlessUser): string {
  const dir = mkdtempSync('/tmp/stalker-rl-');
  chmodSync(dir, 0o755);
  execFileSync('chown', [`${u.uid}:${u.gid}`, dir]);
  return dir;
}

/** Gives the user what root wrote for it (the project files). */
export const chownTo = (u: RootlessUser, path: string) => execFileSync('chown', ['-R', `${u.uid}:${u.gid}`, path]);

/** Runs stalker as the user on a rootless backend (userns unless env says), store in `store`. */
export function stalkerAs(u: RootlessUser, store: string, args: string[], env: Record<string, string> = {}, timeout = 300_000): SpawnSyncReturns<string> {
  const vars = Object.entries({ HOME: u.home, STALKER_ENGINE: 'userns', STALKER_STORE: store, ...env }).map(([k, v]) => `${k}=${v}`);
  return spawnSync('runuser', ['-u', u.name, '--', 'env', ...vars, STALKER, ...args], { encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
}
