// A bmap beside the image (bmaptool's XML, format 2.0): the block ranges that hold data, each with
// its sha256, so `bmaptool copy raspi.img /dev/sdX` writes and verifies only those. The ranges
// are the image file's own allocated extents (FIEMAP, the same map `stalker flash` copies), in
// 4 KiB blocks; where the host filesystem cannot tell, the whole image is one range.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { dataRanges, fullRange, type Range } from '../flash/data-ranges.js';

const BLOCK = 4096;
const CHUNK = 4 * 1024 * 1024;

/** Allocated byte ranges -> inclusive block ranges, merged where rounding makes them touch. */
export function blockRanges(ranges: Range[], size: number): [number, number][] {
  const out: [number, number][] = [];
  for (const r of ranges) {
    const first = Math.floor(r.offset / BLOCK);
    const last = Math.ceil(Math.min(r.offset + r.length, size) / BLOCK) - 1;
    const prev = out.at(-1);
    if (prev && first <= prev[1] + 1) prev[1] = Math.max(prev[1], last);
    else out.push([first, last]);
  }
  return out;
}

async function rangeSha256(image: string, blocks: [number, number][], size: number): Promise<string[]> {
  const fh = await open(image, 'r');
  const buf = Buffer.allocUnsafe(CHUNK);
  try {
    const sums: string[] = [];
    for (const [first, last] of blocks) {
      const hash = createHash('sha256');
      const end = Math.min((last + 1) * BLOCK, size);
      for (let off = first * BLOCK; off < end;) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, end - off), off);
        if (bytesRead === 0) throw new Error(`short read from ${image} at ${off}`);
        hash.update(buf.subarray(0, bytesRead));
        off += bytesRead;
      }
      sums.push(hash.digest('hex'));
    }
    return sums;
  } finally {
    await fh.close();
  }
}

/** The bmap file's text for the image (the image must be complete and synced). */
export async function makeBmap(image: string, size: number): Promise<string> {
  const blocks = blockRanges((await dataRanges(image, size)) ?? fullRange(size), size);
  const sums = await rangeSha256(image, blocks, size);
  const mapped = blocks.reduce((n, [a, b]) => n + b - a + 1, 0);
  const text = (checksum: string) =>
    [
      '<?xml version="1.0" ?>',
      "<!-- Written by stalker's image writer. Copy with: bmaptool copy IMAGE DEVICE -->",
      '<bmap version="2.0">',
      `    <ImageSize> ${size} </ImageSize>`,
      `    <BlockSize> ${BLOCK} </BlockSize>`,
      `    <BlocksCount> ${Math.ceil(size / BLOCK)} </BlocksCount>`,
      `    <MappedBlocksCount> ${mapped} </MappedBlocksCount>`,
      '    <ChecksumType> sha256 </ChecksumType>',
      // bmaptool checks this against the sha256 of the file with this value set to 64 zeros
      `    <BmapFileChecksum> ${checksum} </BmapFileChecksum>`,
      '    <BlockMap>',
      ...blocks.map(([a, b], i) => `        <Range chksum="${sums[i]}"> ${a === b ? a : `${a}-${b}`} </Range>`),
      '    </BlockMap>',
      '</bmap>',
      '',
    ].join('\n');
  const own = createHash('sha256')
    .update(text('0'.repeat(64)))
    .digest('hex');
  return text(own);
}
