// `stalker provision IMAGE FILE...`: per-device provisioning files onto an image's FAT boot
// partition, which the device applies once at its next boot and then removes. The files are
// checked first (nothing is written if one has a problem); the image's .sha256 and .bmap are
// written anew afterwards, since they would no longer match.
import { access, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { StalkerError } from '../errors.js';
import { findFatPartition } from '../flash/partition-table.js';
import { provisionReport, writeProvisionFat, type FatWrite } from '../flash/provision-fat.js';
import { checkProvisionFiles, type CheckedProvision } from '../flash/provision-files.js';
import { fileSha256 } from '../util/file-sha256.js';
import { bmapText } from '../writer/bmap.js';
import { sha256Line } from '../writer/file-sha256.js';
import { digestImage } from '../writer/image-digest.js';
import { WriterError } from '../writer/writer-error.js';

export interface ProvisionResult extends FatWrite {
  image: string;
  checked: CheckedProvision;
  partition: { index: number; start: number; table: 'mbr' | 'gpt' };
  /** Sidecars written anew for the changed image. */
  refreshed: string[];
  /** Sidecars beside the image that still describe it as built. */
  stale: string[];
}

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

/** The image as `stalker flash` takes it: a raw, regular file that matches its .sha256 when it has one. */
async function checkImage(image: string): Promise<void> {
  const st = await stat(image).catch(() => undefined);
  if (!st) throw new WriterError('FLASH_REFUSED', `image ${image} does not exist`);
  if (!st.isFile())
    throw new WriterError('FLASH_REFUSED', `${image} is not an image file (to provision a card, flash it: stalker flash IMAGE --device D --provision FILE...)`);
  if (/\.(zst|xz|gz)$/.test(image)) throw new WriterError('FLASH_REFUSED', `image ${image} is compressed: provision the raw .img beside it`);
  const sumFile = `${image}.sha256`;
  if (!(await exists(sumFile))) return;
  const want = (await readFile(sumFile, 'utf8')).split(/\s+/)[0];
  const got = await fileSha256(image);
  // its .sha256 is written anew afterwards: it must not bless an image damaged before
  if (want !== got) throw new WriterError('FLASH_VERIFY', `image ${image} does not match ${basename(sumFile)} (${got} != ${want}); rebuild it`);
}

/** The .sha256 and .bmap in one read of the image (the writer's own code); the rest is named as stale. */
async function refreshSidecars(image: string): Promise<{ refreshed: string[]; stale: string[] }> {
  const refreshed: string[] = [];
  const sum = `${image}.sha256`;
  const bmap = `${image}.bmap`;
  const hasSum = await exists(sum);
  const hasBmap = await exists(bmap);
  if (hasSum || hasBmap) {
    const size = (await stat(image)).size;
    const digest = await digestImage(image, size);
    if (hasSum) await writeFile(sum, sha256Line(digest.sha256, basename(image)));
    if (hasBmap) await writeFile(bmap, bmapText(size, digest.blocks, digest.sums));
    refreshed.push(...(hasSum ? [sum] : []), ...(hasBmap ? [bmap] : []));
  }
  const stale: string[] = [];
  for (const s of ['.manifest.json', '.cdx.json', '.zst', '.xz', '.stalker.json']) if (await exists(`${image}${s}`)) stale.push(`${image}${s}`);
  return { refreshed, stale };
}

export async function provisionImage(imageArg: string, paths: string[]): Promise<ProvisionResult> {
  const checked = await checkProvisionFiles(paths);
  const image = resolve(imageArg);
  await checkImage(image);
  const part = await findFatPartition(image);
  const wrote = await writeProvisionFat(image, part.start, checked.files);
  const sidecars = await refreshSidecars(image);
  return { image, checked, partition: { index: part.index, start: part.start, table: part.table }, ...wrote, ...sidecars };
}

/** `stalker provision IMAGE FILE...`; problems are thrown as StalkerErrors, which main() prints and maps to exit codes. */
export async function provisionCommand(args: string[]): Promise<number> {
  const [image, ...paths] = args;
  if (image === undefined || !paths.length) throw new StalkerError('USAGE', 'usage: stalker provision IMAGE FILE...');
  const r = await provisionImage(image, paths);
  const where = `${image} (${r.partition.table.toUpperCase()} partition ${r.partition.index}, FAT, at byte ${r.partition.start})`;
  const lines = provisionReport(r, where, r.checked.provision.refused);
  for (const f of r.refreshed) lines.push(`refreshed ${basename(f)}: the image's bytes changed`);
  const kept = r.stale.filter((f) => !f.endsWith('.stalker.json')).map((f) => basename(f));
  if (kept.length) lines.push(`not changed, still of the image as built: ${kept.join(', ')}`);
  // the writer's fingerprint records size and mtime: the next build sees the edit and writes the image again
  if (r.stale.some((f) => f.endsWith('.stalker.json')))
    lines.push(`the next build of its tree writes ${basename(r.image)} anew, without these files: provision a copy (cp --sparse=always) to keep one`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
