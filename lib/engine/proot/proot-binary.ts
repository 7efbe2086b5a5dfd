// Which proot the backend runs, its version, and whether it can run dpkg. Debian bookworm's and
// trixie's proot 5.1.0 does not translate faccessat2, which glibc's faccessat() (dpkg's access
// check) calls first: dpkg in a Debian root then fails. bin/setup-proot builds 5.4 from Debian's
// forky source into STALKER_PROOT_DIR; that one is preferred to the proot on PATH.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { whichOnPath } from '../../util/which.js';

export const STALKER_PROOT_DIR = '/usr/local/libexec/stalker';

/**
 * proot's seccomp acceleration is off: in 5.4 its filter lets faccessat2 through untranslated
 * (the dpkg failure again) and with -q the loader exits 182; without it every call is traced.
 */
export const PROOT_ENV = { PROOT_NO_SECCOMP: '1' } as const;

const executable = (p: string) => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** STALKER_PROOT, else the one bin/setup built, else proot on PATH. */
export function prootBinary(env: NodeJS.ProcessEnv = process.env): string {
  if (env.STALKER_PROOT) return env.STALKER_PROOT;
  const built = join(env.STALKER_PROOT_DIR || STALKER_PROOT_DIR, 'proot');
  if (executable(built)) return built;
  return whichOnPath('proot', env.PATH) ?? 'proot';
}

/** The version: bin/setup's record beside the binary, else its banner, else its Debian package. */
export function prootVersion(binary: string): string | undefined {
  try {
    return readFileSync(`${binary}.version`, 'utf8').trim();
  } catch {
    /* not one bin/setup built */
  }
  const r = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  const banner = /\|\s+v?(\d+\.\d+\.\d+[^\s]*)\s*$/m.exec(r.stdout)?.[1];
  if (banner) return banner;
  const q = spawnSync('dpkg-query', ['-S', binary], { encoding: 'utf8' });
  const pkg = q.status === 0 ? q.stdout.split(':')[0] : undefined;
  const v = pkg ? spawnSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' }) : undefined;
  return v?.status === 0 && v.stdout ? v.stdout : 'unknown version';
}

/**
 * Whether faccessat2 is translated, dpkg's need: `test -x` of a file bound into the guest (the
 * shell asks with faccessat, which glibc sends as faccessat2); untranslated, the kernel looks for
 * the guest path on the host and finds nothing. Root or not, an executable file passes.
 */
export function prootRunsDpkg(binary: string): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'stalker-proot-probe-'));
  try {
    const file = join(dir, 'probe');
    writeFileSync(file, '', { mode: 0o755 });
    const r = spawnSync(binary, ['-0', '-b', `${file}:/stalker-faccessat2-probe`, '/bin/sh', '-c', 'test -x /stalker-faccessat2-probe'], {
      env: { ...process.env, ...PROOT_ENV },
      stdio: 'ignore',
      timeout: 30_000,
    });
    return r.status === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether this proot keeps the owners -0 fakes (stalker's patch): a chown reaches its log. */
export function prootKeepsOwners(binary: string): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'stalker-proot-probe-'));
  try {
    const file = join(dir, 'probe');
    writeFileSync(file, '');
    const log = join(dir, 'owners');
    spawnSync(binary, ['-0', '-b', `${file}:/stalker-owner-probe`, '/bin/sh', '-c', 'chown 4321:4321 /stalker-owner-probe'], {
      env: { ...process.env, ...PROOT_ENV, STALKER_PROOT_OWNERS: log },
      stdio: 'ignore',
      timeout: 30_000,
    });
    return / 4321 4321$/m.test(readFileSync(log, 'utf8'));
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
