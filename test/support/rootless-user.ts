// An ordinary user for the rootless backends' tests: made once (useradd, with a subordinate id
// range in /etc/subuid and /etc/subgid), a work directory it owns, and stalker run as it.
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { appendFileSync, chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const USER = 'stalker-rl';
const STALKER = join(process.cwd(), 'bin', 'stalker');

export interface RootlessUser { name: string; uid: number; gid: number; home: string; subStart: number }

function hasRange(file: string): number | undefined {
  const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${USER}:`));
  return line ? Number(line.split(':')[1]) : undefined;
}

export function rootlessUser(): RootlessUser {
  if (spawnSync('id', ['-u', USER]).status !== 0) execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', USER]);
  // useradd adds a range on most systems; make sure of it (an unused block high above others)
  for (const f of ['/etc/subuid', '/etc/subgid']) if (hasRange(f) === undefined) appendFileSync(f, `${USER}:3000000:65536\n`);
  // bin/stalker rebuilds a stale dist/ first: as root here, for the user cannot write dist/
  execFileSync(STALKER, ['--help'], { stdio: 'ignore' });
  const uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }));
  const gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }));
  return { name: USER, uid, gid, home: `/home/${USER}`, subStart: hasRange('/etc/subuid')! };
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

/** Runs stalker as the user on the userns backend, store in `store`. */
export function stalkerAs(u: RootlessUser, store: string, args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  const vars = Object.entries({ HOME: u.home, STALKER_ENGINE: 'userns', STALKER_STORE: store, ...env }).map(([k, v]) => `${k}=${v}`);
  return spawnSync('runuser', ['-u', u.name, '--', 'env', ...vars, STALKER, ...args], { encoding: 'utf8', timeout: 300_000 });
}
