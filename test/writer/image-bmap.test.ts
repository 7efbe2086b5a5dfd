// The .bmap beside the image, checked by Debian's bmap-tools (bmaptool), not by our own reader:
// bmaptool copies the image to a file through it (verifying every range's sha256 and the bmap's own
// checksum) and the copy has the image's bytes; an image changed after its bmap was made is refused.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeImage, type WriterResult } from '../../lib/writer/write-image.js';
import { makeRootfsDir, tarStream } from './rootfs-fixture.js';

let out: string;
let rootfs: string;
let result: WriterResult;
const sha = (f: string) => execFileSync('sha256sum', [f], { encoding: 'utf8' }).split(' ')[0];

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'stalker-bmap-'));
  rootfs = makeRootfsDir({ bigFile: 3 * 1024 * 1024 });
  result = await writeImage(tarStream(rootfs), {
    output: join(out, 'raspi.img'),
    seed: 'bmap-seed',
    layout: { boot: { size: '40MiB', fat: 16 }, root: { headroom: '8MiB' } },
  });
}, 120_000);

afterAll(() => {
  rmSync(out, { recursive: true, force: true });
  rmSync(rootfs, { recursive: true, force: true });
});

test('bmaptool copy through raspi.img.bmap reproduces the image, and maps less than all of it', () => {
  expect(result.bmapFile).toBe(`${result.image}.bmap`);
  const bmap = readFileSync(result.bmapFile, 'utf8');
  const mapped = Number(/<MappedBlocksCount>\s*(\d+)/.exec(bmap)?.[1]);
  const total = Number(/<BlocksCount>\s*(\d+)/.exec(bmap)?.[1]);
  expect(total * 4096).toBe(result.size);
  expect(mapped).toBeGreaterThan(0);
  expect(mapped).toBeLessThan(total); // holes are left out, which is the point of a bmap
  const copy = join(out, 'copy.img');
  const r = spawnSync('bmaptool', ['copy', '--bmap', result.bmapFile, result.image, copy], { encoding: 'utf8' });
  expect(r.stderr).not.toMatch(/ERROR/);
  expect(r.status).toBe(0);
  expect(sha(copy)).toBe(result.sha256);
}, 60_000);

test('bmaptool refuses an image whose mapped data changed after the bmap was written', () => {
  const bad = join(out, 'changed.img');
  copyFileSync(result.image, bad);
  const fd = openSync(bad, 'r+');
  writeSync(fd, Buffer.from('changed'), 0, 7, result.plan.root.start + 1024 + 100); // inside the ext4 superblock
  closeSync(fd);
  const r = spawnSync('bmaptool', ['copy', '--bmap', result.bmapFile, bad, join(out, 'copy2.img')], { encoding: 'utf8' });
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/checksum mismatch/i);
}, 60_000);

test('a bmap edited by hand fails its own checksum', () => {
  const edited = join(out, 'edited.bmap');
  const text = readFileSync(result.bmapFile, 'utf8').replace('Written by stalker', 'Written by someone');
  execFileSync('tee', [edited], { input: text, stdio: ['pipe', 'ignore', 'inherit'] });
  const r = spawnSync('bmaptool', ['copy', '--bmap', edited, result.image, join(out, 'copy3.img')], { encoding: 'utf8' });
  expect(r.status).not.toBe(0);
}, 60_000);
