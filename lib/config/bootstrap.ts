import { resolve } from 'node:path';
import { cachedFileSha256 } from './file-hash-cache.js';
import { PathProblem } from './path-kind.js';
import type { RawBootstrap } from './raw-types.js';
import type { Bootstrap, Platform } from './types.js';

// OCI platform -> Debian architecture name, for debootstrap roots that do not say.
const DEBIAN_ARCH: Record<string, string> = {
  'linux/amd64': 'amd64',
  'linux/arm64': 'arm64',
  'linux/arm64/v8': 'arm64',
  'linux/arm/v7': 'armhf',
  'linux/arm/v6': 'armel',
  'linux/arm/v5': 'armel',
  'linux/386': 'i386',
  'linux/ppc64le': 'ppc64el',
  'linux/s390x': 's390x',
  'linux/riscv64': 'riscv64',
  'linux/mips64le': 'mips64el',
};

export function debianArch(platform: Platform): string | undefined {
  return DEBIAN_ARCH[platform];
}

/** Fills defaults; returns a message (keyed by the offending field) when it cannot. */
export function resolveBootstrap(
  raw: RawBootstrap,
  platform: Platform,
  treeDir: string,
  hashCache: string,
): { bootstrap: Bootstrap } | { field: string; message: string } {
  switch (raw.kind) {
    case 'debootstrap': {
      const native = debianArch(platform);
      // an amd64 root tagged arm64 would build, then fail in every later step (or worse, not)
      if (raw.arch && native && raw.arch !== native)
        return { field: 'arch', message: `arch "${raw.arch}" does not match platform ${platform} (Debian arch ${native}): set platform, or drop arch` };
      const arch = raw.arch ?? native;
      if (!arch) return { field: 'kind', message: `no Debian architecture known for platform ${platform}: set bootstrap.arch` };
      return {
        bootstrap: {
          kind: 'debootstrap',
          suite: raw.suite as string,
          arch,
          variant: raw.variant ?? 'minbase',
          components: raw.components ?? ['main'],
          include: raw.include ?? [],
          mirror: raw.mirror ?? 'http://deb.debian.org/debian',
        },
      };
    }
    case 'tarball': {
      const file = resolve(treeDir, raw.file as string);
      let actual: string;
      try {
        actual = cachedFileSha256(file, hashCache);
      } catch (e) {
        if (!(e instanceof PathProblem)) throw e;
        return { field: 'file', message: e.describe('bootstrap tarball') };
      }
      if (actual !== raw.sha256) return { field: 'sha256', message: `tarball ${file} has sha256 ${actual}, not the pinned ${raw.sha256}` };
      return { bootstrap: { kind: 'tarball', file, sha256: raw.sha256 as string } };
    }
    case 'image':
      return { bootstrap: { kind: 'image', ref: raw.ref as string } };
  }
}

/**
 * A debootstrap root under a stalk that sets SOURCE_DATE_EPOCH (for every step of the node) gets
 * it too: mmdebstrap's reproducible mode follows it (tar mtimes, no logs or caches with the day's
 * date), and it is part of the bootstrap's key. Returns a message when it is not whole seconds.
 */
export function withStepEpoch(b: Bootstrap, stepEnv: Record<string, string> | undefined): Bootstrap | { message: string } {
  const epoch = stepEnv?.SOURCE_DATE_EPOCH;
  if (b.kind !== 'debootstrap' || epoch === undefined) return b;
  if (!/^[0-9]{1,12}$/.test(epoch)) return { message: `SOURCE_DATE_EPOCH "${epoch}" is not a whole number of seconds since 1970` };
  return { ...b, sourceDateEpoch: epoch };
}
