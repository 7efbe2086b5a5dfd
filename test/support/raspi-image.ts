// out/raspi.img as the e2e boot tests get it: trees/raspi built through bin/stalker (every cached
// node reused, so a second test file pays seconds; a clean build takes minutes), the build's output
// kept in out/, and the image's boot partition read with mtools: config.txt, cmdline.txt and the
// kernel and initramfs they name.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RASPI_TREE = join(ROOT, 'trees/raspi/raspi.hjson');
export const RASPI_IMAGE = join(ROOT, 'out/raspi.img');
const MTOOLS_ENV = { ...process.env, MTOOLS_SKIP_CHECK: '1', MTOOLSRC: '/dev/null' };

export function run(cmd: string, args: string[], env = process.env): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Builds trees/raspi (output to `log`); throws with the log's tail when the build fails. */
export function buildRaspiImage(log: string): { seconds: number; summary: string } {
  mkdirSync(dirname(log), { recursive: true });
  const out = openSync(log, 'w');
  const started = Date.now();
  const r = spawnSync(join(ROOT, 'bin/stalker'), ['--config', RASPI_TREE], { cwd: ROOT, stdio: ['ignore', out, out], timeout: 60 * 60_000 });
  closeSync(out);
  const text = readFileSync(log, 'utf8');
  if (r.status !== 0)
    throw new Error(`bin/stalker --config trees/raspi/raspi.hjson exited ${r.status} ${r.error ?? ''}\n${text.split('\n').slice(-40).join('\n')}`);
  return { seconds: (Date.now() - started) / 1000, summary: /^done in .*/m.exec(text)?.[0] ?? '' };
}

export interface BootPartition {
  /** The FAT partition as mtools addresses it: IMAGE@@OFFSET. */
  fat: string;
  config: string;
  cmdline: string;
  kernel: string;
  initrd: string;
}

/** config.txt, cmdline.txt and the kernel and initramfs config.txt names, from the image's FAT. */
export function bootPartition(image = RASPI_IMAGE): BootPartition {
  const table = JSON.parse(run('sfdisk', ['--json', image])) as { partitiontable: { partitions: { start: number }[] } };
  const fat = `${image}@@${table.partitiontable.partitions[0]!.start * 512}`;
  const config = mtype(fat, 'config.txt');
  const kernel = /^kernel=(\S+)$/m.exec(config)?.[1];
  const initrd = /^initramfs (\S+)/m.exec(config)?.[1];
  if (!kernel || !initrd) throw new Error(`config.txt names no kernel= or initramfs:\n${config}`);
  return { fat, config, cmdline: mtype(fat, 'cmdline.txt').trim(), kernel, initrd };
}

export function mtype(fat: string, file: string): string {
  return run('mtype', ['-i', fat, `::${file}`], MTOOLS_ENV);
}

export function mcopy(fat: string, file: string, to: string): void {
  run('mcopy', ['-n', '-i', fat, `::${file}`, to], MTOOLS_ENV);
}

export function mdir(fat: string): string {
  return run('mdir', ['-b', '-i', fat, '::/'], MTOOLS_ENV);
}

/** debugfs on the image's root partition (the second), in place: `debugfs('cat /etc/hostname')`. */
export function rootDebugfs(image = RASPI_IMAGE): (cmd: string) => string {
  const table = JSON.parse(run('sfdisk', ['--json', image])) as { partitiontable: { partitions: { start: number }[] } };
  const ext4 = `${image}?offset=${table.partitiontable.partitions[1]!.start * 512}`;
  return (cmd) => run('debugfs', ['-R', cmd, ext4]);
}

/** The image as an SD card for QEMU's Pi boards: a sparse copy grown to the next power of two (their SD model requires it). */
export function sdCard(to: string, image = RASPI_IMAGE): void {
  run('cp', ['--sparse=always', image, to]);
  let size = 1;
  while (size < statSync(image).size) size *= 2;
  run('truncate', ['-s', String(size), to]);
}
