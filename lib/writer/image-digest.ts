// One read of the finished image for both of its checksums: the whole file's sha256 (the .sha256
// and the SBOM) and the sha256 of each data range (the .bmap). Only the allocated ranges are read;
// the holes between them are fed to the whole-file hash as zeros, which is what reading them gives,
// without the page cache filling with zero pages for most of a mostly empty image.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { dataRanges, fullRange } from '../flash/data-ranges.js';
import { blockRanges } from './bmap.js';

const BLOCK = 4096;
const CHUNK = 4 * 1024 * 1024;

export interface ImageDigest {
  sha256: string;
  /** Inclusive 4 KiB block ranges that hold data, and the sha256 of each. */
  blocks: [number, number][];
  sums: string[];
}

export async function digestImage(image: string, size: number): Promise<ImageDigest> {
  const blocks = blockRanges((await dataRanges(image, size)) ?? fullRange(size), size);
  const whole = createHash('sha256');
  const zeros = Buffer.alloc(CHUNK);
  const zeroUpTo = (to: number) => {
    for (; at < to; at += Math.min(CHUNK, to - at)) whole.update(zeros.subarray(0, Math.min(CHUNK, to - at)));
  };
  let at = 0;
  const sums: string[] = [];
  const fh = await open(image, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (const [first, last] of blocks) {
      zeroUpTo(first * BLOCK);
      const range = createHash('sha256');
      const end = Math.min((last + 1) * BLOCK, size);
      while (at < end) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, end - at), at);
        if (bytesRead === 0) throw new Error(`short read from ${image} at ${at}`);
        const chunk = buf.subarray(0, bytesRead);
        whole.update(chunk);
        range.update(chunk);
        at += bytesRead;
      }
      sums.push(range.digest('hex'));
    }
    zeroUpTo(size);
  } finally {
    await fh.close();
  }
  return { sha256: whole.digest('hex'), blocks, sums };
}
