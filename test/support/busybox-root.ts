// Tiny root filesystems for docker-backed tests: static busybox with its applets linked, made
// locally (host busybox-static for amd64, mmdebstrap's extract variant for arm64: ~2 s).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, copyFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CACHE = join(tmpdir(), 'stalker-test-roots');

export interface RootTar {
  file: string;
  sha256: string;
}

/**
 * `include`: more Debian packages (with their dependencies) unpacked beside busybox, e.g. dpkg;
 * their documentation and gconv modules are left out, so the root stays a few MB.
 */
export function busyboxRoot(arch: 'amd64' | 'arm64', include: string[] = []): RootTar {
  mkdirSync(CACHE, { recursive: true });
  const file = join(CACHE, `busybox-${arch}${include.map((p) => `-${p}`).join('')}.tar`);
  if (!existsSync(file)) {
    const dir = mkdtempSync(join(tmpdir(), `bbroot-${arch}-`));
    try {
      if (arch === 'amd64' && !include.length) {
        mkdirSync(join(dir, 'bin'), { recursive: true });
        copyFileSync('/bin/busybox', join(dir, 'bin/busybox'));
      } else {
        execFileSync(
          'mmdebstrap',
          [
            '--quiet',
            '--variant=extract',
            `--arch=${arch}`,
            `--include=${['busybox-static', ...include].join(',')}`,
            'bookworm',
            dir,
            'http://deb.debian.org/debian',
          ],
          { stdio: 'pipe' },
        );
        for (const d of [
          'usr/share/doc',
          'usr/share/man',
          'usr/share/locale',
          'usr/share/info',
          `usr/lib/${arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu/gconv`,
        ])
          rmSync(join(dir, d), { recursive: true, force: true });
      }
      for (const d of ['etc', 'tmp', 'root', 'dev', 'proc', 'sys', 'run', 'usr/bin', 'var']) mkdirSync(join(dir, d), { recursive: true });
      const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
      // an applet never shadows a real program of an included package (dpkg, tar)
      const real = (a: string) => ['bin', 'sbin', 'usr/bin', 'usr/sbin'].some((d) => existsSync(join(dir, d, a)));
      for (const a of applets) if (!real(a)) symlinkSync('busybox', join(dir, 'bin', a));
      const tmp = `${file}.${process.pid}`;
      execFileSync('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-cf', tmp, '-C', dir, '.']);
      renameSync(tmp, file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
}
