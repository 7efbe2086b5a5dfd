// A bmap beside the image (bmaptool's XML, format 2.0): the block ranges that hold data, each with
// its sha256, so `bmaptool copy raspi.img /dev/sdX` writes and verifies only those. The ranges
// are the image file's own allocated extents (FIEMAP, the same map `stalker flash` copies), in
// 4 KiB blocks; where the host filesystem cannot tell, the whole image is one range.
import { createHash } from 'node:crypto';
import type { Range } from '../flash/data-ranges.js';

const BLOCK = 4096;

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

/** The bmap file's text for an image of `size` bytes: its data ranges in blocks and their sha256s (image-digest.ts). */
export function bmapText(size: number, blocks: [number, number][], sums: string[]): string {
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
