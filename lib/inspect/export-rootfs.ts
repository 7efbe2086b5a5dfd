// A node's root filesystem out of the engine: a container is created (never started) from the
// image and exported as a tar stream, written to a .tar file or unpacked into a directory.
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Engine } from '../engine/engine-port.js';
import { ownerLabels } from '../engine/labels.js';
import { StalkerError } from '../errors.js';
import { extractRootfs } from '../writer/extract-rootfs.js';

export interface ExportRequest {
  engine: Engine;
  ref: string;
  platform: string;
  tree: string;
  node: string;
  output: string;
}

export const isTarOutput = (output: string) => /\.tar$/i.test(output);

export async function exportRootfs(req: ExportRequest): Promise<void> {
  const asTar = isTarOutput(req.output);
  if (!asTar && existsSync(req.output) && (await readdir(req.output)).length) {
    throw new StalkerError('USAGE', `--output ${req.output} is a directory that is not empty: name an empty or new directory, or a .tar file`);
  }
  const labels = ownerLabels({ run: 'export', tree: req.tree, node: req.node });
  const id = await req.engine.containers.create({ image: req.ref, platform: req.platform, cmd: ['/bin/true'], labels, binds: [] });
  try {
    const tar = await req.engine.containers.export(id);
    if (asTar) {
      const partial = `${req.output}.partial`;
      try {
        await pipeline(tar, createWriteStream(partial));
        await rename(partial, req.output);
      } finally {
        await rm(partial, { force: true });
      }
    } else {
      await mkdir(req.output, { recursive: true });
      await extractRootfs(tar, req.output); // owners, modes, device nodes, xattrs as the image has them
    }
  } finally {
    await req.engine.containers.remove(id);
  }
}
