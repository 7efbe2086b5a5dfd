import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import type { Range } from './data-ranges.js';

const CHUNK = 4 * 1024 * 1024;

/** Copies the ranges at the same offsets; returns the sha256 of the bytes copied, in order. */
export async function copyRanges(src: FileHandle, dst: FileHandle, ranges: Range[], onBytes: (n: number) => void): Promise<string> {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  for (const r of ranges) {
    for (let off = r.offset; off < r.offset + r.length;) {
      const want = Math.min(CHUNK, r.offset + r.length - off);
      const { bytesRead } = await src.read(buf, 0, want, off);
      if (bytesRead !== want) throw new Error(`short read from the image at ${off}: ${bytesRead} of ${want} bytes`);
      for (let w = 0; w < want;) w += (await dst.write(buf, w, want - w, off + w)).bytesWritten;
      hash.update(buf.subarray(0, want));
      off += want;
      onBytes(want);
    }
  }
  return hash.digest('hex');
}

/** sha256 over the same ranges read back from the target. */
export async function hashRanges(fh: FileHandle, ranges: Range[], onBytes: (n: number) => void): Promise<string> {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  for (const r of ranges) {
    for (let off = r.offset; off < r.offset + r.length;) {
      const want = Math.min(CHUNK, r.offset + r.length - off);
      const { bytesRead } = await fh.read(buf, 0, want, off);
      hash.update(buf.subarray(0, bytesRead));
      if (bytesRead !== want) break; // a short device shows up as a hash mismatch
      off += want;
      onBytes(want);
    }
  }
  return hash.digest('hex');
}
