import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flash, flashCommand } from '../../lib/flash/flash.js';
import { diskNamesOf, splitDev } from '../../lib/flash/block-device.js';
import { sh } from './rootfs-fixture.js';

jest.setTimeout(60_000);

const MiB = 1024 * 1024;
let dir: string;
let image: string;
const loops: string[] = [];
const mounted: string[] = [];

function attach(file: string, partscan = false): string {
  const dev = sh('losetup', [...(partscan ? ['-P'] : []), '-f', '--show', file]).trim();
  loops.push(dev);
  return dev;
}

function backingFile(name: string, size: number): string {
  const f = join(dir, name);
  writeFileSync(f, '');
  execFileSync('truncate', ['-s', String(size), f]);
  return f;
}

async function makeImage(path: string): Promise<void> {
  // data at the start, a hole, data in the middle, a hole to the end: an image in miniature
  writeFileSync(path, '');
  execFileSync('truncate', ['-s', String(8 * MiB), path]);
  const fh = await open(path, 'r+');
  const data = Buffer.alloc(256 * 1024);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff;
  await fh.write(data, 0, data.length, 0);
  await fh.write(data, 0, data.length, 5 * MiB);
  await fh.sync();
  await fh.close();
  writeFileSync(`${path}.sha256`, `${sh('sha256sum', [path]).split(' ')[0]}  test.img\n`);
}

const reason = (r: string) => expect.objectContaining({ code: 'FLASH_REFUSED', details: expect.objectContaining({ reason: r }) });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stalker-flash-test-'));
  image = join(dir, 'test.img');
  await makeImage(image);
});

afterAll(() => {
  for (const m of mounted.reverse())
    try {
      execFileSync('umount', [m]);
    } catch {
      /* already gone */
    }
  for (const l of loops.reverse())
    try {
      execFileSync('losetup', ['-d', l]);
    } catch {
      /* already gone */
    }
  rmSync(dir, { recursive: true, force: true });
});

test('refuses a path that is not a block device unless files are allowed', async () => {
  const file = join(dir, 'out.img');
  await expect(flash(image, file, { yes: true })).rejects.toEqual(reason('not-block-device'));
  const r = await flash(image, file, { yes: true, allowFile: true });
  expect(r.verified).toBe(true);
  expect(readFileSync(file).equals(readFileSync(image))).toBe(true);
  expect(r.bytesWritten).toBeLessThan(r.imageSize); // holes skipped
  expect(statSync(file).blocks * 512).toBeLessThan(2 * MiB); // and left as holes in the file
});

test('refuses the disk holding / (checked before any confirmation or open)', async () => {
  const [root] = await diskNamesOf(splitDev(statSync('/').dev));
  expect(root).toBeDefined();
  // no --yes and no confirm: were the check to fail, flash would stop at the confirmation instead
  await expect(flash(image, `/dev/${root}`)).rejects.toEqual(reason('system-disk'));
});

test('refuses a device smaller than the image', async () => {
  const dev = attach(backingFile('small.bin', 4 * MiB));
  await expect(flash(image, dev)).rejects.toEqual(reason('too-small'));
});

test('refuses a device that is mounted', async () => {
  const whole = attach(backingFile('whole.bin', 16 * MiB));
  sh('mkfs.ext4', ['-q', whole]);
  const mp1 = join(dir, 'mnt1');
  mkdirSync(mp1);
  sh('mount', [whole, mp1]);
  mounted.push(mp1);
  await expect(flash(image, whole)).rejects.toEqual(reason('mounted'));

  // loop partition scanning (losetup -P) does not work on this host kind, so the partition
  // variants (a mounted p1, a partition as target) are covered by reading code, not here
});

test('a wrong typed name aborts; no confirmation channel aborts', async () => {
  const dev = attach(backingFile('abort.bin', 16 * MiB));
  await expect(flash(image, dev, { confirm: async () => 'sda' })).rejects.toMatchObject({ code: 'FLASH_ABORTED' });
  await expect(flash(image, dev)).rejects.toMatchObject({ code: 'FLASH_ABORTED' });
  expect(sh('cmp', ['-n', String(8 * MiB), dev, '/dev/zero']).trim()).toBe('');
});

test('flashes a loop device after the typed name, verifies, and matches byte for byte', async () => {
  const dev = attach(backingFile('target.bin', 16 * MiB));
  const name = dev.replace('/dev/', '');
  const phases = new Set<string>();
  const r = await flash(image, dev, {
    confirm: async (p) => {
      expect(p).toContain(name);
      return name;
    },
    onProgress: (ph) => phases.add(ph),
  });
  expect(r).toMatchObject({ verified: true, imageChecked: true, sparse: true, imageSize: 8 * MiB });
  expect(r.target.kind).toBe('block');
  expect([...phases]).toEqual(['write', 'verify']);
  const head = execFileSync('dd', [`if=${dev}`, 'bs=1M', 'count=8', 'status=none'], { maxBuffer: 16 * MiB });
  expect(head.equals(readFileSync(image))).toBe(true);
  // --no-sparse writes every byte, so its hash is the image's own
  const full = await flash(image, dev, { yes: true, sparse: false });
  expect(full.sha256).toBe(readFileSync(`${image}.sha256`, 'utf8').split(' ')[0]);
});

test('an image that does not match its .sha256 is not written', async () => {
  const bad = join(dir, 'bad.img');
  writeFileSync(bad, 'x');
  writeFileSync(`${bad}.sha256`, `${'0'.repeat(64)}  bad.img\n`);
  await expect(flash(bad, join(dir, 'never.img'), { yes: true, allowFile: true })).rejects.toMatchObject({ code: 'FLASH_VERIFY' });
});

test('flashCommand: usage errors are 2, refusals 1, success 0', async () => {
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    expect(await flashCommand([image])).toBe(2);
    expect(await flashCommand([image, '--device', join(dir, 'cmd.img'), '--yes'])).toBe(1);
    expect(await flashCommand([image, '--device', join(dir, 'cmd.img'), '--yes', '--allow-file'])).toBe(0);
  } finally {
    err.mockRestore();
  }
});
