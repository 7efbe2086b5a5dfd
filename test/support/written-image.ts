// A disk image the writer wrote, looked at from outside: its root partition cut out, e2fsck'd
// (throws unless clean), and files read with debugfs.
import { execFileSync } from 'node:child_process';

export function rootPartition(img: string): { stat(path: string): string; cat(path: string): string } {
  const table = JSON.parse(execFileSync('sfdisk', ['--json', img], { encoding: 'utf8' }));
  const offset = table.partitiontable.partitions[1].start * 512;
  const part = `${img}.p2`;
  execFileSync('dd', [`if=${img}`, 'bs=1M', `skip=${offset}`, 'iflag=skip_bytes', 'status=none', `of=${part}`]);
  execFileSync('e2fsck', ['-fn', part], { stdio: 'pipe' });
  const debugfs = (cmd: string) => execFileSync('debugfs', ['-R', cmd, part], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return { stat: (path) => debugfs(`stat ${path}`), cat: (path) => debugfs(`cat ${path}`) };
}

/** A tree (beside a busybox root) whose writer node writes out/test.img from a firmware step. */
export function writerTree(repository: string, tarballTree: (nodes: string, o: { repository: string }) => string): Record<string, string> {
  return {
    [`trees/${repository}/${repository}.hjson`]: tarballTree(
      `
      rootfs: { from: "base", stalk: "fw" }
      image: { from: "rootfs", writer: { output: "out/test.img", hostname: "rl-board", layout: { boot: { size: "64MiB" }, root: { headroom: "16MiB" } } } }`,
      { repository },
    ),
    'stalks/fw/fw.hjson': `{ steps: [ { name: "firmware", script: "fw.sh" } ] }`,
    'stalks/fw/fw.sh': `#!/bin/sh -e
mkdir -p /boot/firmware /home/pi
echo "arm_64bit=1" > /boot/firmware/config.txt
echo "console=serial0,115200 root=/dev/mmcblk0p2 rootwait" > /boot/firmware/cmdline.txt
printf '/dev/mmcblk0p2 / ext4 defaults 0 1\\n/dev/mmcblk0p1 /boot/firmware vfat defaults 0 2\\n' > /etc/fstab
echo hi > /home/pi/note; chown -R 1000:1000 /home/pi
echo s > /usr/bin/suid-thing; chmod 4755 /usr/bin/suid-thing
`,
  };
}
