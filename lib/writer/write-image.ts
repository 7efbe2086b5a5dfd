import { mkdir, rename, rm, truncate, writeFile, open } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { buildExt4 } from './build-ext4.js';
import { bmapText } from './bmap.js';
import { buildFat } from './build-fat.js';
import { compressImage, type Compression } from './compress-image.js';
import { planDisk, sfdiskScript, type DiskPlan } from './disk-plan.js';
import { dropMountStubs } from './drop-mount-stubs.js';
import { dateStandIns, settleStandIns } from './engine-stand-ins.js';
import { extractRootfs } from './extract-rootfs.js';
import { digestImage } from './image-digest.js';
import { mountLayers } from './layer-mount.js';
import { TOOL_VERSION } from '../engine/labels.js';
import { fileSha256 } from '../util/file-sha256.js';
import { sha256Line } from './file-sha256.js';
import { fixIdentity, fixReferences, takeBootContent } from './fixup-rootfs.js';
import { readManifest, type PackageEntry } from './package-manifest.js';
import { partitionRefs, type PartitionRefs } from './partition-refs.js';
import { runTool } from './run-tool.js';
import { makeScratch, removeScratch } from './scratch.js';
import { buildSbom } from './sbom.js';
import { chooseEpoch, type EpochChoice } from './default-epoch.js';
import { clampMtimes, scanTree } from './scan-tree.js';
import { deriveIds, type SeedIds } from './seed-ids.js';
import { WriterError } from './writer-error.js';
import { resolveLayout, validateHostname, type ResolvedLayout, type WriterOptions } from './writer-options.js';

export type { WriterOptions, WriterConfig, WriterLayoutConfig, Size } from './writer-options.js';
export { writerConfigSchema } from './writer-schema.js';
export { WriterError } from './writer-error.js';

export type WriterPhase =
  'extract' | 'scan' | 'fixup' | 'partition' | 'boot-fs' | 'root-fs' | 'checksum' | 'manifest' | 'sbom' | 'bmap' | 'compress' | 'cleanup';

export type WriterEvent =
  | { type: 'writer:phase'; phase: WriterPhase; ms: number }
  | { type: 'writer:warning'; message: string }
  | ({ type: 'writer:epoch' } & EpochChoice)
  | { type: 'writer:source'; layers?: number };

/**
 * The rootfs to write: a tar stream (`docker export`), or the image's layer directories on this
 * host, topmost first (ImageClient.layerDirs), mounted as an overlay instead of unpacked.
 */
export type RootfsSource = Readable | { layers: string[] };

export interface WriterResult {
  image: string;
  sha256: string;
  size: number;
  checksumFile: string;
  manifestFile: string;
  /** CycloneDX 1.5 JSON: raspi.img.cdx.json */
  sbomFile: string;
  /** bmaptool's block map: raspi.img.bmap */
  bmapFile: string;
  packages: number;
  compressed?: { path: string; sha256: string; checksumFile: string };
  sourceDateEpoch: number;
  layout: ResolvedLayout;
  plan: DiskPlan;
  ids: SeedIds;
  refs: PartitionRefs;
}

/**
 * Writes a bootable disk image from a rootfs tar stream: unpack to scratch space, fix identity
 * and partition references, then format both filesystems in place inside one sparse file.
 */
export async function writeImage(input: RootfsSource, options: WriterOptions, events: (e: WriterEvent) => void = () => undefined): Promise<WriterResult> {
  if (!options.seed) throw new WriterError('WRITER_CONFIG', 'writer: seed is required (the node cache key)');
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new WriterError(
      'WRITER_NOT_ROOT',
      'the image writer must run as root: unpacking a rootfs keeps its owners, setuid bits and device nodes only for root',
    );
  }
  const layout = resolveLayout(options.layout);
  const hostname = validateHostname(options.hostname ?? 'raspi');
  const compression: Compression = options.compression ?? 'none';
  if (!['none', 'zstd', 'xz'].includes(compression)) throw new WriterError('WRITER_CONFIG', `compression must be none, zstd or xz`);
  const output = resolve(options.output);
  await mkdir(dirname(output), { recursive: true });
  const ids = deriveIds(options.seed);
  const refs = partitionRefs(layout, ids);

  let t = Date.now();
  const done = (phase: WriterPhase) => {
    const now = Date.now();
    events({ type: 'writer:phase', phase, ms: now - t });
    t = now;
  };
  const scratchParent = resolve(options.workDir ?? dirname(output));
  await mkdir(scratchParent, { recursive: true });
  const work = await makeScratch(scratchParent);
  const rootDir = join(work, 'root');
  const bootDir = join(work, 'boot');
  const partial = `${output}.partial`;
  try {
    if ('layers' in input) {
      await mountLayers(input.layers, work);
      events({ type: 'writer:source', layers: input.layers.length });
    } else {
      await mkdir(rootDir);
      await extractRootfs(input, rootDir);
      events({ type: 'writer:source' });
    }
    await settleStandIns(rootDir);
    const stubs = await dropMountStubs(rootDir, options.mountTargets ?? []);
    if (stubs.length) events({ type: 'writer:warning', message: `removed empty bind-mount stand-ins: ${stubs.join(' ')}` });
    done('extract');

    const scan = await scanTree(rootDir, layout.boot.mountPoint);
    const { epoch, from } = await chooseEpoch(rootDir, options.sourceDateEpoch);
    events({ type: 'writer:epoch', epoch, from });
    // sizes are checked here, before a byte of the image exists
    const plan = planDisk(layout, scan.boot, scan.root);
    done('scan');

    await takeBootContent(rootDir, layout.boot.mountPoint, bootDir);
    await fixIdentity(rootDir, hostname, options.resolvConf);
    await fixReferences(rootDir, bootDir, refs, layout.boot.mountPoint);
    const packages = await readManifest(rootDir);
    if (!packages) events({ type: 'writer:warning', message: 'the rootfs has no /var/lib/dpkg/status: the package manifest is empty' });
    await dateStandIns(rootDir, epoch);
    await clampMtimes([rootDir, bootDir], epoch);
    done('fixup');

    await rm(partial, { force: true });
    await writeFile(partial, '');
    await truncate(partial, plan.totalSize); // sparse: unwritten ranges stay holes
    await runTool('sfdisk', ['-q', '--no-reread', '--no-tell-kernel', '--wipe', 'never', partial], { input: sfdiskScript(layout, plan, ids) });
    done('partition');

    await buildFat({ image: partial, part: plan.boot, fat: layout.boot.fat, label: layout.boot.label, volumeId: ids.fatVolumeId, epoch, content: bootDir });
    done('boot-fs');
    await buildExt4({
      image: partial,
      part: plan.root,
      inodes: plan.rootInodes,
      label: layout.root.label,
      uuid: ids.ext4Uuid,
      hashSeed: ids.ext4HashSeed,
      epoch,
      content: rootDir,
      workDir: work,
    });
    const fh = await open(partial, 'r+');
    await fh.sync().finally(() => fh.close());
    done('root-fs');

    const digest = await digestImage(partial, plan.totalSize);
    const { sha256 } = digest;
    await rename(partial, output);
    const checksumFile = `${output}.sha256`;
    await writeFile(checksumFile, sha256Line(sha256, basename(output)));
    done('checksum');

    const manifestFile = `${output}.manifest.json`;
    await writeFile(manifestFile, manifestJson(packages ?? [], sha256, basename(output)));
    done('manifest');

    const sbomFile = `${output}.cdx.json`;
    const sbom = await buildSbom({
      root: rootDir,
      image: basename(output),
      sha256,
      packages: packages ?? [],
      epoch,
      serial: ids.sbomSerial,
      tool: { name: 'stalker', version: TOOL_VERSION },
    });
    await writeFile(sbomFile, `${JSON.stringify(sbom, null, 2)}\n`);
    done('sbom');

    const bmapFile = `${output}.bmap`;
    await writeFile(bmapFile, bmapText(plan.totalSize, digest.blocks, digest.sums));
    done('bmap');

    const result: WriterResult = {
      image: output,
      sha256,
      size: plan.totalSize,
      checksumFile,
      manifestFile,
      sbomFile,
      bmapFile,
      packages: packages?.length ?? 0,
      sourceDateEpoch: epoch,
      layout,
      plan,
      ids,
      refs,
    };
    if (compression !== 'none') {
      const path = await compressImage(output, compression);
      const csha = await fileSha256(path);
      await writeFile(`${path}.sha256`, sha256Line(csha, basename(path)));
      result.compressed = { path, sha256: csha, checksumFile: `${path}.sha256` };
      done('compress');
    }
    return result;
  } finally {
    await rm(partial, { force: true });
    // unmounts the overlay of the layers, if any, then deletes the scratch
    await removeScratch(work).catch(() => undefined);
    done('cleanup');
  }
}

function manifestJson(packages: PackageEntry[], sha256: string, image: string): string {
  const list = packages.map(({ name, version, arch }) => ({ name, version, arch }));
  return `${JSON.stringify({ image, sha256, packages: list }, null, 2)}\n`;
}
