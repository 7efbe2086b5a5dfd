// extractRootfs against GNU tar with streams shaped like the engine's: tar may exit at the end
// marker before the stream ends (a whole archive: success), and a stream cut short or failing
// mid-way is an error that says so.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { extractRootfs } from '../../lib/writer/extract-rootfs.js';

/** A tar of one 8704-byte file: 512 header + 8704 data + 1024 end marker = one 10 KiB record. */
async function oneRecordTar(): Promise<Buffer> {
  const p = pack();
  p.entry({ name: 'etc/filler.bin', mode: 0o640, uid: 1234, gid: 5678 }, Buffer.alloc(8704, 7));
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const later = (ms: number) => new Promise((r) => setTimeout(r, ms));
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stalker-extract-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('an archive ending on a record boundary, whose stream ends after tar has exited, extracts', async () => {
  const tar = await oneRecordTar();
  expect(tar.length).toBe(10240);
  await extractRootfs(
    Readable.from(
      (async function* () {
        yield tar;
        await later(300);
      })(),
    ),
    dir,
  );
  const file = join(dir, 'etc/filler.bin');
  expect(readFileSync(file)).toEqual(Buffer.alloc(8704, 7));
  expect(statSync(file)).toMatchObject({ mode: 0o100640, uid: 1234, gid: 5678 });
});

test("a stream cut short is tar's error, with its message", async () => {
  const tar = await oneRecordTar();
  const err = await extractRootfs(Readable.from([tar.subarray(0, 4096)]), dir).catch((e: unknown) => e as Error);
  expect(err).toBeInstanceOf(Error);
  expect(err!.message).toMatch(/^tar could not unpack the rootfs stream \(exit 2\):\n.*Unexpected EOF/s);
});

test("a stream failing mid-way says so, with tar's view of it", async () => {
  const tar = await oneRecordTar();
  const failing = Readable.from(
    (async function* () {
      yield tar.subarray(0, 4096);
      await later(50);
      throw new Error('engine went away');
    })(),
  );
  const err = await extractRootfs(failing, dir).catch((e: unknown) => e as Error);
  expect(err!.message).toMatch(/^reading the rootfs stream failed \(engine went away\); tar could not unpack the rootfs stream \(exit 2\)/);
  expect(existsSync(join(dir, 'etc/filler.bin'))).toBe(true); // partial, as tar left it: the caller's scratch dir
});
