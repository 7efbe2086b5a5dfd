// The shell run as root of the user namespace for each container operation. Paths are quoted in;
// the scripts use only util-linux, coreutils and GNU tar of the host (never the image's tools,
// which may be another architecture or absent), except the step's own command inside the chroot.
export const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface Mounted {
  dir: string; // the container's directory (upper, work, merged, made)
  layersDir: string; // where unpacked layers live: lowerdir names are relative to it (short options)
  lowers: string[]; // top first
}

/** Mounts the container's root at $M: the parent's layers under the container's upper dir. */
export function mountRoot(m: Mounted): string {
  const lower = m.lowers.length ? m.lowers.join(':') : '.empty';
  return `set -e
C=${q(m.dir)}; M="$C/merged"
cd ${q(m.layersDir)}
mount -t overlay overlay -o "lowerdir=${lower},upperdir=$C/upper,workdir=$C/work,userxattr" "$M"
cd /
`;
}

export interface RunMount {
  source: string;
  target: string;
  readOnly: boolean;
}

/**
 * Host paths onto the root: a missing target is made (and listed in $C/made, so the commit drops
 * it as Docker drops its mount points' stand-ins); /proc is a fresh one of the step's pid namespace.
 */
export function mountInputs(binds: RunMount[], archives: { tar: string; path: string }[]): string {
  const lines = [
    `mnt() {
  if [ ! -e "$M$2" ] && [ ! -L "$M$2" ]; then
    if [ -d "$1" ]; then mkdir -p "$M$2"; else mkdir -p "$(dirname "$M$2")"; : > "$M$2"; fi
    echo "$2" >> "$C/made"
  fi
  mount --rbind "$1" "$M$2"
  if [ "$3" = ro ]; then mount -o remount,bind,ro "$M$2" 2>/dev/null || true; fi
}`,
  ];
  for (const a of archives) lines.push(`mkdir -p "$M"${q(a.path)}; tar -C "$M"${q(a.path)} --numeric-owner -xpf ${q(a.tar)}`);
  lines.push(
    'mnt /dev /dev rw',
    'mnt /sys /sys rw',
    '[ -d "$M/proc" ] || { mkdir -p "$M/proc"; echo /proc >> "$C/made"; }',
    'mount -t proc proc "$M/proc" 2>/dev/null || mount --rbind /proc "$M/proc"',
    // the host's resolver as a copy: a step writing /etc/resolv.conf must not write the host's
    'if [ -d "$M/etc" ] && [ ! -L "$M/etc/resolv.conf" ]; then cp /etc/resolv.conf "$C/resolv.conf" 2>/dev/null && mnt "$C/resolv.conf" /etc/resolv.conf rw || true; fi',
  );
  for (const b of binds) lines.push(`mnt ${q(b.source)} ${q(b.target)} ${b.readOnly ? 'ro' : 'rw'}`);
  return `${lines.join('\n')}\n`;
}

/** Execs the command chrooted, with exactly the given environment; its exit code is the step's. */
export function execIn(env: string[], cmd: string[], workingDir?: string): string {
  const inner = workingDir ? ['/bin/sh', '-c', 'cd "$0" && exec "$@"', workingDir, ...cmd] : cmd;
  return `set +e\nexec env -i ${env.map(q).join(' ')} chroot "$M" ${inner.map(q).join(' ')}\n`;
}

/** The upper dir as GNU tar on stdout, with overlay's xattrs (whiteouts translated by the reader). */
export function tarUpper(dir: string): string {
  return `set -e
C=${q(dir)}
if [ -f "$C/made" ]; then
  while IFS= read -r t; do
    p="$C/upper$t"
    if [ -d "$p" ] && [ ! -L "$p" ]; then rmdir "$p" 2>/dev/null || true; elif [ -f "$p" ] && [ ! -s "$p" ]; then rm -f "$p"; fi
  done < "$C/made"
fi
exec tar -C "$C/upper" --numeric-owner --format=pax --pax-option=delete=atime,delete=ctime --xattrs --xattrs-include='user.*' --xattrs-include='security.capability' -cf - .
`;
}

export const TAR_OUT = '--numeric-owner --format=pax --pax-option=delete=atime,delete=ctime';
