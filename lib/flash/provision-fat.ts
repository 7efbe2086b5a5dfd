// Writes checked provisioning files into the root of a FAT partition inside an image file or on
// a card, with mtools addressing the partition at its offset (FILE@@OFFSET): nothing is mounted,
// no loop device. Every value that reaches mtools is ours: the target is an absolute path, the
// sources sit in a private temporary directory under their fixed names, the destinations are
// ::/NAME from the fixed list, so nothing can be read as an option.
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { runTool } from '../writer/run-tool.js';
import { WriterError } from '../writer/writer-error.js';
import { PROVISION_FILES, type ProvisionFile } from './provision-files.js';

// mtools reads no user or host config, and does not refuse a filesystem smaller than its partition
const ENV = { MTOOLSRC: '/dev/null', MTOOLS_SKIP_CHECK: '1', TZ: 'UTC' };

export interface FatWrite {
  /** Names written (and read back equal). */
  written: string[];
  /** Provisioning files of an earlier provision that were on the partition and are gone now. */
  removed: string[];
}

/** The drive argument for mtools; mtools splits it at the first "@@", so a path holding one cannot be named. */
function drive(target: string, offset: number): string {
  if (!isAbsolute(target)) throw new Error(`internal: ${target} is not an absolute path`);
  if (target.includes('@@')) throw new WriterError('FLASH_REFUSED', `${target}: mtools cannot address a path containing "@@"; rename it`);
  if (!Number.isSafeInteger(offset) || offset <= 0) throw new Error(`internal: partition offset ${offset}`);
  return `${target}@@${offset}`;
}

/** Sync what mtools wrote, and on a card drop the kernel's cached copy, so the read-back comes from the device. */
async function flush(target: string, block: boolean): Promise<void> {
  const fh = await open(target, 'r');
  await fh.sync().finally(() => fh.close());
  if (block) await runTool('blockdev', ['--flushbufs', target]);
}

/**
 * Copies the files into the partition's root, replacing files of the same name and removing the
 * other provisioning names left by an earlier provision (the set given is the whole provisioning,
 * and a stale file would hold stale secrets), then reads each back and compares its bytes.
 */
export async function writeProvisionFat(target: string, offset: number, files: ProvisionFile[], opts: { block?: boolean } = {}): Promise<FatWrite> {
  const dev = drive(target, offset);
  for (const f of files) if (!PROVISION_FILES.includes(f.name)) throw new Error(`internal: ${f.name} is not a provisioning name`);
  const dir = await mkdtemp(join(tmpdir(), 'stalker-provision-')); // 0700: the files hold secrets
  try {
    const listing = (await runTool('mdir', ['-b', '-i', dev, '::/'], { env: ENV })).stdout;
    const present = new Set(listing.split('\n').map((l) => l.trim().replace(/^::\//, '').toLowerCase()));
    const given = new Set(files.map((f) => f.name));
    const removed = PROVISION_FILES.filter((n) => !given.has(n) && present.has(n.toLowerCase()));
    for (const n of removed) await runTool('mdel', ['-i', dev, `::/${n}`], { env: ENV });
    for (const f of files) {
      const src = join(dir, f.name);
      await writeFile(src, f.bytes, { mode: 0o600 });
      await runTool('mcopy', ['-o', '-i', dev, src, `::/${f.name}`], { env: ENV });
    }
    await flush(target, !!opts.block);
    for (const f of files) {
      const back = join(dir, `${f.name}.read-back`);
      await runTool('mcopy', ['-n', '-i', dev, `::/${f.name}`, back], { env: ENV });
      const got = await readFile(back);
      if (!got.equals(f.bytes))
        throw new WriterError('FLASH_VERIFY', `read-back of ${f.name} from ${target} differs from ${f.path} (${got.length} bytes, expected ${f.bytes.length})`);
    }
    return { written: files.map((f) => f.name), removed };
  } catch (err) {
    if (err instanceof WriterError && /disk full|no free clusters|no space/i.test(String(err.details.stderr ?? err.message)))
      throw new WriterError('WRITER_PARTITION_TOO_SMALL', `the FAT partition of ${target} is full: the provisioning files do not fit`, { cause: err });
    throw err;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What was written and where, for `provision` and `flash --provision` alike. */
export function provisionReport(r: FatWrite, where: string, refused: readonly string[]): string[] {
  const out = [`wrote ${r.written.join(', ')} to ${where}, read back equal`];
  if (r.removed.length) out.push(`removed ${r.removed.join(', ')}: left by an earlier provision`);
  for (const why of refused) out.push(`note: the device will not apply ${why}`);
  out.push('these files hold secrets (password hashes, Wi-Fi passphrases) until the device applies them at its next boot and removes them:');
  out.push('  keep the image and the card private until then');
  return out;
}
