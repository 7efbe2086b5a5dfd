// `stalker doctor`: everything a build needs from the host, each problem with how to fix it.
// The checks take their view of the host as a parameter, so tests can show them a broken one.
import { statfs } from 'node:fs/promises';
import type { Engine } from '../engine/engine-port.js';
import { whichOnPath } from '../util/which.js';
import { type BinfmtState, binfmtOk, emulatedArch, hostQemuArch, readBinfmt } from './binfmt.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';
export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

export interface DoctorHost {
  engine: Pick<Engine, 'ping' | 'info'> & Partial<Pick<Engine, 'describe'>>;
  which(cmd: string): string | undefined;
  binfmt(arch: string): BinfmtState;
  freeBytes(path: string): Promise<number | undefined>;
  hostArch: string; // qemu's name: x86_64, aarch64
}

/** Host tools, the Debian package that has each, and what needs it. */
export const TOOLS: Array<{ cmd: string; pkg: string; for: string; required: boolean }> = [
  { cmd: 'mmdebstrap', pkg: 'mmdebstrap', for: 'debootstrap root nodes', required: true },
  { cmd: 'mkfs.vfat', pkg: 'dosfstools', for: 'the image writer (boot partition)', required: true },
  { cmd: 'mkfs.ext4', pkg: 'e2fsprogs', for: 'the image writer (root partition)', required: true },
  { cmd: 'sfdisk', pkg: 'fdisk', for: 'the image writer (partition table)', required: true },
  { cmd: 'mcopy', pkg: 'mtools', for: 'the image writer (boot files)', required: true },
  { cmd: 'qemu-system-aarch64', pkg: 'qemu-system-arm', for: 'booting written arm64 images', required: true },
  { cmd: 'dot', pkg: 'graphviz', for: 'stalker graph --format svg', required: false },
];

const GB = 1e9;
const FREE_FAIL = 2 * GB;
const FREE_WARN = 10 * GB;

export function realHost(engine: DoctorHost['engine']): DoctorHost {
  return {
    engine,
    which: (cmd) => whichOnPath(cmd),
    binfmt: (arch) => readBinfmt(arch),
    freeBytes: async (path) => {
      try {
        const s = await statfs(path);
        return s.bavail * s.bsize;
      } catch {
        return undefined;
      }
    },
    hostArch: hostQemuArch(),
  };
}

async function engineChecks(host: DoctorHost): Promise<{ checks: Check[]; rootDir?: string }> {
  try {
    const version = await host.engine.ping();
    const info = await host.engine.info?.();
    const d = await host.engine.describe?.();
    const how = d
      ? `; runs ${d.native.join(', ') || '?'} natively${d.emulated.length ? `, ${d.emulated.join(', ')} emulated` : ''}; ${d.seesHostPaths ? 'step inputs as bind mounts' : 'step inputs as archives and volumes'}`
      : '';
    const name = !d || d.kind === 'docker' ? 'Docker' : d.kind; // a rootless engine names itself
    const detail = (info ? `${name} ${version}, storage driver ${info.storageDriver}, data in ${info.rootDir}` : `${name} ${version}`) + how;
    const checks: Check[] = [{ name: 'engine', status: 'ok', detail }];
    for (const p of info?.problems ?? []) checks.push({ ...p, status: 'fail' });
    if (info && name === 'Docker' && info.storageDriver !== 'overlay2') {
      checks.push({
        name: 'engine storage',
        status: 'warn',
        detail: `storage driver ${info.storageDriver}: commits are slow without overlay2`,
        fix: 'start dockerd with --storage-driver=overlay2',
      });
    }
    return { checks, rootDir: info?.rootDir };
  } catch (err) {
    return {
      checks: [
        {
          name: 'engine',
          status: 'fail',
          detail: `no Docker engine answers: ${(err as Error).message}`,
          fix: 'run bin/setup (installs docker.io and starts dockerd), or start it: sudo dockerd --storage-driver=overlay2 &',
        },
      ],
    };
  }
}

function binfmtCheck(host: DoctorHost, platform: string): Check {
  const arch = emulatedArch(platform, host.hostArch);
  if (!arch) return { name: `platform ${platform}`, status: 'ok', detail: `runs natively on this ${host.hostArch} host` };
  const s = host.binfmt(arch);
  if (binfmtOk(s)) return { name: `binfmt ${platform}`, status: 'ok', detail: `qemu-${arch} registered, flags ${s.flags} (${s.interpreter ?? '?'})` };
  const what = !s.registered
    ? `qemu-${arch} is not registered`
    : !s.enabled
      ? `qemu-${arch} is registered but disabled`
      : `qemu-${arch} is registered without the F flag (flags "${s.flags}"), so containers cannot find the interpreter`;
  return {
    name: `binfmt ${platform}`,
    status: 'fail',
    detail: what,
    fix: 'run `stalker binfmt` as root (or bin/setup); it needs qemu-user-static and binfmt-support: apt-get install qemu-user-static binfmt-support',
  };
}

async function diskCheck(host: DoctorHost, label: string, path: string): Promise<Check | undefined> {
  const free = await host.freeBytes(path);
  if (free === undefined) return undefined;
  const detail = `${(free / GB).toFixed(1)} GB free on ${path}`;
  if (free < FREE_FAIL)
    return { name: `disk ${label}`, status: 'fail', detail, fix: `free space under ${path} (e.g. stalker prune --yes; docker system prune)` };
  if (free < FREE_WARN)
    return {
      name: `disk ${label}`,
      status: 'warn',
      detail: `${detail}; an emulated Debian tree takes several GB`,
      fix: 'stalker prune --yes removes images no tree references',
    };
  return { name: `disk ${label}`, status: 'ok', detail };
}

export interface DoctorScope {
  platforms: string[];
  projectDir: string;
}

export async function runChecks(host: DoctorHost, scope: DoctorScope): Promise<Check[]> {
  const { checks, rootDir } = await engineChecks(host);
  for (const p of [...new Set(scope.platforms)].sort()) checks.push(binfmtCheck(host, p));
  for (const [label, path] of [['project', scope.projectDir], ...(rootDir ? [['engine', rootDir]] : [])] as const) {
    const c = await diskCheck(host, label, path);
    if (c) checks.push(c);
  }
  for (const t of TOOLS) {
    const at = host.which(t.cmd);
    checks.push(
      at
        ? { name: `tool ${t.cmd}`, status: 'ok', detail: at }
        : {
            name: `tool ${t.cmd}`,
            status: t.required ? 'fail' : 'warn',
            detail: `${t.cmd} not found on PATH (needed for ${t.for})`,
            fix: `apt-get install ${t.pkg}`,
          },
    );
  }
  return checks;
}

export function formatChecks(checks: readonly Check[]): string[] {
  const mark = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };
  const lines = checks.map((c) => `${mark[c.status]} ${c.name}: ${c.detail}${c.fix ? `\n     fix: ${c.fix}` : ''}`);
  const fails = checks.filter((c) => c.status === 'fail').length;
  const warns = checks.filter((c) => c.status === 'warn').length;
  lines.push(fails ? `${fails} problem(s)${warns ? `, ${warns} warning(s)` : ''}: see the fixes above` : `all good${warns ? ` (${warns} warning(s))` : ''}`);
  return lines;
}
