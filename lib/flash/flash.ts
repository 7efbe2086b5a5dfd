import { constants } from 'node:fs';
import { access, open, readFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { fileSha256 } from '../util/file-sha256.js';
import { runTool } from '../writer/run-tool.js';
import type { StalkerError } from '../errors.js';
import { formatSize } from '../writer/sizes.js';
import { WriterError } from '../writer/writer-error.js';
import { copyRanges, hashRanges } from './copy-ranges.js';
import { dataRanges, fullRange, rangesBytes } from './data-ranges.js';
import { findFatPartition } from './partition-table.js';
import { provisionReport, writeProvisionFat, type FatWrite } from './provision-fat.js';
import { checkProvisionFiles, type CheckedProvision, type ProvisionFile } from './provision-files.js';
import { progressBar } from './progress-bar.js';
import { checkTarget, type FlashTarget } from './target-check.js';

export interface FlashOptions {
  /** Skip the typed confirmation (scripts). */
  yes?: boolean;
  /** Allow a regular file (or a path that does not exist yet) as the target. */
  allowFile?: boolean;
  /** Skip the image's holes (bmap-like). Default true. */
  sparse?: boolean;
  /** Read back and compare sha256 after writing. Default true. */
  verify?: boolean;
  /** Asks the user; the answer must be the device's kernel name or its path. */
  confirm?: (prompt: string) => Promise<string>;
  onProgress?: (phase: 'write' | 'verify', done: number, total: number) => void;
  log?: (line: string) => void;
  /** Checked provisioning files (checkProvisionFiles) to write into the card's FAT after the image. */
  provision?: ProvisionFile[];
}

export interface FlashResult {
  target: FlashTarget;
  imageSize: number;
  bytesWritten: number;
  sparse: boolean;
  /** sha256 of the written ranges, equal on image and target (whole image when not sparse). */
  sha256: string;
  verified: boolean;
  /** The image matched its .sha256 file before writing (false: there was none). */
  imageChecked: boolean;
  /** With `provision`: what went into the card's FAT partition, read back equal. */
  provisioned?: FatWrite & { partition: number };
}

export async function flash(image: string, device: string, opts: FlashOptions = {}): Promise<FlashResult> {
  const log = opts.log ?? (() => undefined);
  const ist = await stat(image).catch(() => undefined);
  if (!ist?.isFile()) throw new WriterError('FLASH_REFUSED', `image ${image} is not a readable file`, { details: { reason: 'no-image' } });
  if (/\.(zst|xz|gz)$/.test(image))
    throw new WriterError('FLASH_REFUSED', `image ${image} is compressed: flash the raw .img beside it`, { details: { reason: 'compressed' } });
  const size = ist.size;

  let imageChecked = false;
  const sumFile = `${image}.sha256`;
  if (
    await access(sumFile, constants.R_OK).then(
      () => true,
      () => false,
    )
  ) {
    const want = (await readFile(sumFile, 'utf8')).split(/\s+/)[0];
    const got = await fileSha256(image);
    if (want !== got) throw new WriterError('FLASH_VERIFY', `image ${image} does not match ${basename(sumFile)} (${got} != ${want}); rebuild it`);
    imageChecked = true;
  }

  // where the files go is found in the image before anything is written: no FAT, nothing written
  const fat = opts.provision?.length ? await findFatPartition(image) : undefined;
  const target = await checkTarget(device, size, { allowFile: opts.allowFile });
  if (target.kind === 'block') {
    const d = target.device;
    log(`target ${device} (${d.name}): ${d.model}, ${formatSize(d.size)}, removable: ${d.removable ? 'yes' : 'no'}`);
    log(`image ${image}: ${formatSize(size)}. Everything on ${device} will be overwritten.`);
  } else {
    log(`target ${device}: regular file (--allow-file), image ${formatSize(size)}`);
  }
  if (!opts.yes) {
    const name = target.kind === 'block' ? target.device.name : basename(device);
    if (!opts.confirm) throw new WriterError('FLASH_ABORTED', 'no confirmation: run in a terminal to type the device name, or pass --yes');
    const answer = (await opts.confirm(`Type the device name (${name}) to write it: `)).trim();
    if (answer !== name && answer !== device) throw new WriterError('FLASH_ABORTED', `aborted: typed ${JSON.stringify(answer)}, not ${name}`);
  }

  const sparse = opts.sparse !== false;
  const mapped = sparse ? await dataRanges(image, size) : undefined;
  if (sparse && !mapped) log("the image's host filesystem gives no extent map: writing every byte");
  const ranges = mapped ?? fullRange(size);
  const total = rangesBytes(ranges);

  const src = await open(image, 'r');
  let sha256: string;
  try {
    // O_EXCL on a block device is the kernel's exclusive claim: it fails if anything mounts it meanwhile
    const dst = target.kind === 'block' ? await open(device, constants.O_WRONLY | constants.O_EXCL) : await open(device, 'w'); // truncated: the holes we skip read back as zeros
    try {
      if (target.kind === 'file') await dst.truncate(size);
      let done = 0;
      sha256 = await copyRanges(src, dst, ranges, (n) => opts.onProgress?.('write', (done += n), total));
      await dst.sync();
    } finally {
      await dst.close();
    }
  } finally {
    await src.close();
  }
  // drop the kernel's cached copy so the read-back comes from the device, not from memory
  if (target.kind === 'block') await runTool('blockdev', ['--flushbufs', device]);

  let verified = false;
  if (opts.verify !== false) {
    const fh = await open(device, 'r');
    let done = 0;
    const back = await hashRanges(fh, ranges, (n) => opts.onProgress?.('verify', (done += n), total)).finally(() => fh.close());
    if (back !== sha256) throw new WriterError('FLASH_VERIFY', `read-back of ${device} does not match the image (sha256 ${back} != ${sha256})`);
    verified = true;
    log(`verified ${formatSize(total)} read back from ${device} (sha256 ${sha256.slice(0, 16)}...)`);
  }
  let provisioned: FlashResult['provisioned'];
  if (fat && opts.provision) {
    // the card has the image's partitions now: an automounter may have taken them meanwhile
    if (target.kind === 'block') await checkTarget(device, size);
    const wrote = await writeProvisionFat(resolve(device), fat.start, opts.provision, { block: target.kind === 'block' });
    provisioned = { ...wrote, partition: fat.index };
  }
  return { target, imageSize: size, bytesWritten: total, sparse: !!mapped, sha256, verified, imageChecked, ...(provisioned ? { provisioned } : {}) };
}

const USAGE = 'usage: stalker flash <image> --device <path> [--yes] [--allow-file] [--no-sparse] [--no-verify] [--provision FILE...]';

function usage(problem?: string): number {
  process.stderr.write(`${problem ? `stalker flash: ${problem}\n` : ''}${USAGE}\n`);
  return 2;
}

/** `stalker flash ...` (argv after "flash"); returns the exit code. */
export async function flashCommand(argv: string[]): Promise<number> {
  let image: string | undefined;
  let device: string | undefined;
  const flags = new Set<string>();
  const provision: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--device' || a === '-d') device = argv[++i];
    else if (a.startsWith('--device=')) device = a.slice(9);
    else if (a.startsWith('--provision=')) provision.push(a.slice(12));
    else if (a === '--provision') {
      // FILE...: every argument up to the next option
      const start = provision.length;
      while (i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) provision.push(argv[++i]!);
      if (provision.length === start) return usage('--provision needs a FILE');
    } else if (['--yes', '-y', '--allow-file', '--no-sparse', '--no-verify'].includes(a)) flags.add(a === '-y' ? '--yes' : a);
    else if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    } else if (!a.startsWith('-') && !image) image = a;
    else return usage(`unknown argument ${a}`);
  }
  if (!image || !device) return usage();
  let checked: CheckedProvision | undefined;
  if (provision.length) {
    try {
      // before the confirmation and before anything is written: a bad file writes nothing
      checked = await checkProvisionFiles(provision);
    } catch (err) {
      const e = err as StalkerError;
      if (e.code !== 'CONFIG_INVALID' && e.code !== 'USAGE') throw err;
      process.stderr.write(e.code === 'CONFIG_INVALID' ? `${e.message}\n` : `stalker flash: ${e.message}\n`);
      return 2;
    }
  }
  const tty = process.stdin.isTTY;
  const bar = progressBar(process.stderr, 'flash');
  const vbar = progressBar(process.stderr, 'verify');
  try {
    const r = await flash(image, device, {
      yes: flags.has('--yes'),
      allowFile: flags.has('--allow-file'),
      sparse: !flags.has('--no-sparse'),
      verify: !flags.has('--no-verify'),
      ...(checked ? { provision: checked.files } : {}),
      log: (l) => process.stderr.write(`${l}\n`),
      onProgress: (phase, done, total) => (phase === 'write' ? bar : vbar)(done, total),
      confirm: tty
        ? async (prompt) => {
            const rl = createInterface({ input: process.stdin, output: process.stderr });
            try {
              return await rl.question(prompt);
            } finally {
              rl.close();
            }
          }
        : undefined,
    });
    process.stderr.write(
      `wrote ${formatSize(r.bytesWritten)} of ${formatSize(r.imageSize)} to ${device}${r.sparse ? ' (holes skipped)' : ''}${r.verified ? ', verified' : ''}\n`,
    );
    if (r.provisioned && checked) {
      const where = `${device} (partition ${r.provisioned.partition}, FAT)`;
      process.stderr.write(`${provisionReport(r.provisioned, where, checked.provision.refused).join('\n')}\n`);
    }
    return 0;
  } catch (err) {
    const e = err as WriterError;
    process.stderr.write(`stalker flash: ${e.message}${e.code ? ` [${e.code}]` : ''}\n`);
    return 1;
  }
}
