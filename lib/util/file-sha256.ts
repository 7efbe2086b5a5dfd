// sha256 of a file, streamed: used for tarball pins, image layers, written images and flash checks.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

/** sha256 of a file with one reused buffer: memory stays flat whatever the image size. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}
