// qemu-user binfmt handlers: which one a platform needs on this host, whether it is registered
// with the F flag (the kernel opens the interpreter at registration, so images need no qemu
// binary inside), and registering it the way bin/setup does.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execSync } from '../util/exec.js';

export const BINFMT_DIR = '/proc/sys/fs/binfmt_misc';

const QEMU_ARCH: Record<string, string> = {
  'linux/amd64': 'x86_64',
  'linux/arm64': 'aarch64',
  'linux/arm64/v8': 'aarch64',
  'linux/arm/v7': 'arm',
  'linux/arm/v6': 'arm',
  'linux/arm': 'arm',
  'linux/386': 'i386',
  'linux/riscv64': 'riscv64',
  'linux/ppc64le': 'ppc64le',
  'linux/s390x': 's390x',
  'linux/mips64le': 'mips64el',
};

/** Node's process.arch as qemu names it. */
export function hostQemuArch(arch: string = process.arch): string {
  return (
    ({ x64: 'x86_64', arm64: 'aarch64', arm: 'arm', ia32: 'i386', riscv64: 'riscv64', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[arch] ??
    arch
  );
}

export function qemuArchOf(platform: string): string | undefined {
  return QEMU_ARCH[platform] ?? QEMU_ARCH[platform.split('/').slice(0, 2).join('/')];
}

/** The qemu arch a platform needs emulated here, or undefined when the host runs it natively. */
export function emulatedArch(platform: string, host = hostQemuArch()): string | undefined {
  const arch = qemuArchOf(platform);
  if (!arch || arch === host) return undefined;
  if ((host === 'x86_64' && arch === 'i386') || (host === 'aarch64' && arch === 'arm')) return undefined; // 32-bit on its 64-bit host
  return arch;
}

export interface BinfmtState {
  arch: string;
  registered: boolean;
  enabled: boolean;
  flags: string;
  interpreter?: string;
}

export function readBinfmt(arch: string, dir = BINFMT_DIR): BinfmtState {
  const file = join(dir, `qemu-${arch}`);
  if (!existsSync(file)) return { arch, registered: false, enabled: false, flags: '' };
  const text = readFileSync(file, 'utf8');
  return {
    arch,
    registered: true,
    enabled: /^enabled/m.test(text),
    flags: /^flags:\s*(\S*)/m.exec(text)?.[1] ?? '',
    interpreter: /^interpreter\s+(\S+)/m.exec(text)?.[1],
  };
}

export const binfmtOk = (s: BinfmtState) => s.registered && s.enabled && s.flags.includes('F');

export interface RegisterResult {
  arch: string;
  action: 'already' | 'registered' | 'failed';
  detail: string;
}

const run = execSync;

/** Needs root. Tries update-binfmts (binfmt-support), then the qemu-user-static binfmt.d file. */
export function registerBinfmt(arch: string, dir = BINFMT_DIR): RegisterResult {
  if (binfmtOk(readBinfmt(arch, dir))) return { arch, action: 'already', detail: `qemu-${arch} is registered with flags ${readBinfmt(arch, dir).flags}` };
  if (!existsSync(join(dir, 'status'))) {
    const m = run('mount', ['-t', 'binfmt_misc', 'binfmt_misc', dir]);
    if (!m.ok) return { arch, action: 'failed', detail: `cannot mount binfmt_misc at ${dir}: ${m.out} (run as root)` };
  }
  const before = readBinfmt(arch, dir);
  if (before.registered && !before.flags.includes('F')) {
    // Registered without F (e.g. by hand): drop it so the packaged entry, which has F, can go in.
    try {
      writeFileSync(join(dir, `qemu-${arch}`), '-1');
    } catch (err) {
      return { arch, action: 'failed', detail: `qemu-${arch} is registered without the F flag and cannot be removed: ${(err as Error).message}` };
    }
  }
  if (!binfmtOk(readBinfmt(arch, dir))) run('update-binfmts', ['--enable', `qemu-${arch}`]);
  const conf = `/usr/lib/binfmt.d/qemu-${arch}.conf`;
  if (!readBinfmt(arch, dir).registered && existsSync(conf)) {
    const line = readFileSync(conf, 'utf8')
      .split('\n')
      .find((l) => l.trim() && !l.startsWith('#'));
    try {
      if (line) writeFileSync(join(dir, 'register'), line);
    } catch (err) {
      return { arch, action: 'failed', detail: `writing ${join(dir, 'register')} failed: ${(err as Error).message} (run as root)` };
    }
  }
  const after = readBinfmt(arch, dir);
  if (binfmtOk(after)) return { arch, action: 'registered', detail: `qemu-${arch} registered with flags ${after.flags} (${after.interpreter})` };
  const why = after.registered ? `registered with flags "${after.flags}", without F` : 'not registered';
  return {
    arch,
    action: 'failed',
    detail: `qemu-${arch} is ${why}: install qemu-user-static and binfmt-support (apt-get install qemu-user-static binfmt-support) and run as root`,
  };
}
