// A newer qemu-system-aarch64 than the host's, for the boot tests: trees/qemu-trixie builds Debian
// trixie's QEMU (10.0, which has the raspi4b machine; bookworm's 7.2 does not) and dtc into an
// image of the host's architecture from Debian packages alone (no registry), through bin/stalker
// (a minute clean, about a second cached). The tests run it with `docker run`, the work directory
// mounted at /w: that needs a daemon that sees this machine's paths (a local one, as CI has).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, run } from './raspi-image.js';
import { buildTree } from './tree-build.js';

export const QEMU_TREE = join(ROOT, 'trees/qemu-trixie/qemu-trixie.hjson');
/** `<repository>/<node>:final` of trees/qemu-trixie. */
export const QEMU_IMAGE = 'qemu-trixie/qemu:final';

/** Builds trees/qemu-trixie (output to `log`) and checks that its image is there. */
export function buildQemuImage(log: string): { seconds: number; summary: string } {
  const built = buildTree(QEMU_TREE, log, 20 * 60_000);
  run('docker', ['image', 'inspect', '--format', '{{.Id}}', QEMU_IMAGE]);
  return built;
}

const mounts = (work: string) => ['--network', 'none', '-v', `${work}:/w`];

/** A command of the QEMU image, run to its end with `work` at /w; its stdout. */
export function inQemuImage(work: string, args: string[]): string {
  return run('docker', ['run', '--rm', ...mounts(work), QEMU_IMAGE, ...args]);
}

/** qemu-system-aarch64 in a container named `name` (so that it can be stopped by name), `work` at /w. */
export function startQemu(name: string, work: string, args: string[]): { qemu: ChildProcess; stderr: () => string } {
  let err = '';
  const qemu = spawn('docker', ['run', '--rm', '--name', name, ...mounts(work), QEMU_IMAGE, 'qemu-system-aarch64', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  qemu.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return { qemu, stderr: () => err };
}

/** Stops our container by its name; one already gone is fine. */
export function stopContainer(name: string): void {
  spawnSync('docker', ['kill', name], { encoding: 'utf8' });
}
