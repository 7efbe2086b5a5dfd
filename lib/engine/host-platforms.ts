// The platforms this machine runs: its own, and those its kernel's binfmt handlers emulate
// (qemu-user registered with the F flag also works inside user namespaces and chroots).
import { readdirSync } from 'node:fs';
import { arch } from 'node:os';

// uname machine / qemu binfmt handler name -> OCI platform
export const PLATFORM_OF: Record<string, string> = {
  x86_64: 'linux/amd64',
  aarch64: 'linux/arm64',
  arm: 'linux/arm/v7',
  i386: 'linux/386',
  ppc64le: 'linux/ppc64le',
  s390x: 'linux/s390x',
  riscv64: 'linux/riscv64',
};

const NODE_ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', arm: 'arm', ia32: 'i386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export const hostMachine = () => NODE_ARCH[arch()] ?? arch();

export function hostPlatforms(): { native: string[]; emulated: string[] } {
  const own = PLATFORM_OF[hostMachine()];
  const native = own ? [own] : [];
  let emulated: string[] = [];
  try {
    emulated = readdirSync('/proc/sys/fs/binfmt_misc')
      .filter((f) => f.startsWith('qemu-'))
      .map((f) => PLATFORM_OF[f.slice(5)])
      .filter((p): p is string => !!p && !native.includes(p));
  } catch {
    /* no binfmt_misc: native only */
  }
  return { native, emulated };
}
