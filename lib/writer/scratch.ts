// The writer's scratch directory beside the output: the unpacked or mounted rootfs, the boot
// content, the overlay's upper layer. It holds the writer's pid (and pid namespace), so a later
// writer can tell the scratch of one that was killed (SIGKILL, power loss) from one still running,
// and clear it: unmount its overlay and delete it. A scratch of another pid namespace (a rootless
// engine's writer) or without a pid file is left alone: nothing here can judge it.
import { mkdtemp, readFile, readdir, readlink, realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool } from './run-tool.js';

const PREFIX = '.stalker-writer-';

export async function makeScratch(parent: string): Promise<string> {
  await clearAbandoned(parent);
  const work = await mkdtemp(join(parent, PREFIX));
  await writeFile(join(work, 'pid'), `${process.pid} ${await pidNamespace()}\n`);
  return work;
}

/** Unmounts what the writer mounted there, then deletes it; rm -rf in C (a whole rootfs from node costs seconds). */
export async function removeScratch(work: string): Promise<void> {
  // mountinfo names the real path: an output directory reached through a symlink must still match
  const real = await realpath(work).catch(() => work);
  for (const mnt of await mountsUnder(real)) await runTool('umount', ['-l', mnt]).catch(() => undefined);
  await runTool('rm', ['-rf', '--one-file-system', work]);
}

async function clearAbandoned(parent: string): Promise<void> {
  const names = (await readdir(parent).catch(() => [] as string[])).filter((n) => n.startsWith(PREFIX));
  for (const name of names) {
    const work = join(parent, name);
    const [pid, ns] = (await readFile(join(work, 'pid'), 'utf8').catch(() => '')).trim().split(' ');
    if (!pid || !/^\d+$/.test(pid) || ns !== (await pidNamespace()) || alive(Number(pid))) continue;
    await removeScratch(work).catch(() => undefined);
  }
}

const pidNamespace = () => readlink('/proc/self/ns/pid').catch(() => 'unknown');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Mount points at or below dir, deepest first (/proc/self/mountinfo octal-escapes spaces). */
async function mountsUnder(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const points = info
    .split('\n')
    .map((l) => l.split(' ')[4]?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p): p is string => !!p && (p === dir || p.startsWith(`${dir}/`)));
  return points.sort((a, b) => b.length - a.length);
}
