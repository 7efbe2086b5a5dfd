// A newer qemu-system-aarch64 than the host's, for the boot tests: trees/qemu-trixie builds Debian
// trixie's QEMU (10.0, which has the raspi4b machine; bookworm's 7.2 does not) and dtc into an
// image of the host's architecture from Debian packages alone (no registry), through bin/stalker
// (a minute clean, about a second cached). The tests run it with `docker run`, the work directory
// mounted at /w: that needs a daemon that sees this machine's paths (a local one, as CI has).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT, run } from './raspi-image.js';

export const QEMU_TREE = join(ROOT, 'trees/qemu-trixie/qemu-trixie.hjson');
/** `<repository>/<node>:final` of trees/qemu-trixie. */
export const QEMU_IMAGE = 'qemu-trixie/qemu:final';

/** Builds trees/qemu-trixie (output to `log`); throws with the log's tail when the build fails. */
export function buildQemuImage(log: string): { seconds: number; summary: string } {
  mkdirSync(dirname(log), { recursive: true });
  const out = openSync(log, 'w');
  const started = Date.now();
  const r = spawnSync(join(ROOT, 'bin/stalker'), ['--config', QEMU_TREE], { cwd: ROOT, stdio: ['ignore', out, out], timeout: 20 * 60_000 });
  closeSync(out);
  const text = readFileSync(log, 'utf8');
  if (r.status !== 0)
    throw new Error(`bin/stalker --config trees/qemu-trixie/qemu-trixie.hjson exited ${r.status} ${r.error ?? ''}\n${text.split('\n').slice(-40).join('\n')}`);
  run('docker', ['image', 'inspect', '--format', '{{.Id}}', QEMU_IMAGE]);
  return { seconds: (Date.now() - started) / 1000, summary: /^done in .*/m.exec(text)?.[0] ?? '' };
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
