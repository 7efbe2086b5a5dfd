import type { Row } from '../ovsdb/datum.js';
import { absolutePath, envVar } from '../formats.js';
import type { StoredImage } from '../containers/image-store.js';

export const unitOf = (name: string) => `stalker-ct-${name}.service`;
/** In nspawn's argv before `--`: how a restarted agent recognises its container in /proc/PID/cmdline. */
export const markerOf = (name: string) => `--machine=${name}`;

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);

/**
 * systemd-nspawn's argv for a checked row and its stored image, or why it cannot start. Every value
 * from the row or the image is either one `--opt=value` word (never split, never a separate word
 * that could read as an option) or a command word after `--`, where nspawn takes nothing as an option.
 */
export function nspawnArgv(ct: Row, image: StoredImage, rootfs: string): { argv: string[] } | { problem: string } {
  const name = String(ct.name);
  const words = typeof ct.command === 'string' ? ct.command.split(' ') : [...(image.Entrypoint ?? []), ...(image.Cmd ?? [])];
  if (!words.length) return { problem: `image ${image.name} has no Entrypoint or Cmd: set the container's command` };
  const env = new Map<string, string>();
  for (const e of [...(image.Env ?? []), ...list(ct.env)]) {
    const why = envVar(e);
    if (why) return { problem: `env ${JSON.stringify(e)} rejected: expected ${why}` };
    env.set(e.slice(0, e.indexOf('=')), e);
  }
  const user = image.User ?? '';
  if (user && user !== 'root' && user !== '0' && user !== '0:0' && !/^[a-z_][a-z0-9_-]{0,31}$/.test(user))
    return { problem: `image user ${JSON.stringify(user)}: only a user name is supported (systemd-nspawn looks it up in the image)` };
  const wd = image.WorkingDir || '';
  if (wd && absolutePath(wd) && wd !== '/') return { problem: `image WorkingDir ${JSON.stringify(wd)} is not an absolute path` };
  return {
    argv: [
      'systemd-nspawn',
      '--quiet',
      '--register=no',
      '--keep-unit',
      markerOf(name),
      `--directory=${rootfs}`,
      // nspawn mounts tmpfs on /run always and on /tmp with --read-only: an own --tmpfs=/run breaks its /run/host
      '--read-only',
      // OCI layers are unpacked with their owners as the host sees them: no uid shift to undo
      '--private-users=no',
      '--timezone=off',
      '--resolv-conf=off',
      '--link-journal=no',
      // the payload is not an init: SIGTERM asks it to stop (the default for non-boot containers is SIGKILL)
      '--kill-signal=SIGTERM',
      `--network-veth-extra=vi${ct.id}:eth0`,
      ...[...env.values()].map((e) => `--setenv=${e}`),
      ...(wd && wd !== '/' ? [`--chdir=${wd}`] : []),
      ...(user && !['root', '0', '0:0'].includes(user) ? [`--user=${user}`] : []),
      '--',
      ...words,
    ],
  };
}

/** Under systemd: a transient service in container.slice, its limits systemd's; nspawn keeps to that unit. */
export function systemdRunArgv(ct: Row, nspawn: string[], slice = 'container.slice'): string[] {
  return [
    'systemd-run',
    '--quiet',
    `--unit=${unitOf(String(ct.name))}`,
    `--slice=${slice}`,
    // nspawn with --keep-unit sets up the payload's cgroup below the unit's: it must be delegated
    '--property=Delegate=yes',
    '--property=KillMode=mixed',
    '--property=TimeoutStopSec=5',
    ...(typeof ct.memory === 'number' ? [`--property=MemoryMax=${ct.memory}M`] : []),
    ...(typeof ct.cpu_weight === 'number' ? [`--property=CPUWeight=${ct.cpu_weight}`] : []),
    '--',
    ...nspawn,
  ];
}
