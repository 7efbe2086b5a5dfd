// `stalker provision` and `stalker flash --provision` against real disk images: a partition table
// from sfdisk, a FAT made by mkfs.fat at its offset (as the writer makes them), the files read back
// with mtools. A loop device stands in for the card.
import { jest } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { provisionImage } from '../../lib/cli/provision-command.js';
import { flash, flashCommand } from '../../lib/flash/flash.js';
import { findFatPartition } from '../../lib/flash/partition-table.js';
import { checkProvisionFiles } from '../../lib/flash/provision-files.js';
import { bmapText } from '../../lib/writer/bmap.js';
import { digestImage } from '../../lib/writer/image-digest.js';
import { sh } from './rootfs-fixture.js';

jest.setTimeout(120_000);

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
const MiB = 1024 * 1024;
const ENV = { ...process.env, MTOOLSRC: '/dev/null', MTOOLS_SKIP_CHECK: '1' };
const JSON_DOC = '{\n  "System": { "hostname": "pi-kitchen", "timezone": "Europe/Berlin" }\n}\n';
const CLOUD = {
  'user-data': '#cloud-config\nhostname: pi-hall\nruncmd:\n  - [ls, /]\n',
  'network-config':
    'network:\n  version: 2\n  wifis:\n    wlan0:\n      dhcp4: true\n      regulatory-domain: "GB"\n      access-points:\n        "Home":\n          password: "correct horse battery"\n',
  'meta-data': 'instance-id: pi-hall\n',
};

let dir: string;
const loops: string[] = [];
let n = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stalker-provision-test-'));
});
afterAll(() => {
  for (const l of loops.reverse())
    try {
      execFileSync('losetup', ['-d', l]);
    } catch {
      /* already gone */
    }
  rmSync(dir, { recursive: true, force: true });
});

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const file = (rel: string, text: string) => {
  const p = join(dir, `f${n++}`, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
};
/** A file's bytes from the FAT at this offset, read with mtools. */
function fatRead(target: string, offset: number, name: string): Buffer {
  const out = join(dir, `read-${n++}`);
  execFileSync('mcopy', ['-n', '-i', `${target}@@${offset}`, `::/${name}`, out], { env: ENV });
  return readFileSync(out);
}
const fatList = (target: string, offset: number) =>
  execFileSync('mdir', ['-b', '-i', `${target}@@${offset}`, '::/'], { env: ENV, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace('::/', ''))
    .sort();

/** An image as the writer lays it out: boot FAT at 1 MiB (with a config.txt), a root partition after it, .sha256 and .bmap beside. */
async function makeImage(table: 'mbr' | 'gpt', fat: 16 | 32 = 32): Promise<{ image: string; offset: number }> {
  const image = join(dir, `img${n++}.img`);
  const bootSectors = (fat === 32 ? 40 : 16) * 2048;
  execFileSync('truncate', ['-s', String((bootSectors / 2048 + 8) * MiB), image]);
  const boot = `start=2048, size=${bootSectors}`;
  const root = `start=${2048 + bootSectors}, size=8192`;
  const script =
    table === 'mbr'
      ? `label: dos\nunit: sectors\n\n${boot}, type=${fat === 32 ? 'c' : 'e'}, bootable\n${root}, type=83\n`
      : `label: gpt\nunit: sectors\n\n${boot}, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\n${root}, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n`;
  execFileSync('sfdisk', ['-q', '--no-reread', '--no-tell-kernel', image], { input: script });
  sh('mkfs.fat', ['-F', String(fat), '-n', 'BOOT', '--mbr=n', '--offset=2048', '-h', '2048', image, String(bootSectors / 2)]);
  const config = file('config.txt', 'arm_64bit=1\n');
  execFileSync('mcopy', ['-i', `${image}@@${MiB}`, config, '::/config.txt'], { env: ENV });
  const digest = await digestImage(image, readFileSync(image).length);
  writeFileSync(`${image}.sha256`, `${digest.sha256}  ${image.split('/').pop()}\n`);
  writeFileSync(`${image}.bmap`, bmapText(readFileSync(image).length, digest.blocks, digest.sums));
  return { image, offset: MiB };
}

test('finds the FAT partition on MBR and GPT; refuses a disk without one', async () => {
  const mbr = await makeImage('mbr');
  expect(await findFatPartition(mbr.image)).toMatchObject({ table: 'mbr', index: 1, start: MiB, type: '0x0c' });
  const gpt = await makeImage('gpt', 16);
  expect(await findFatPartition(gpt.image)).toMatchObject({ table: 'gpt', index: 1, start: MiB, type: 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7' });

  const noFat = join(dir, 'nofat.img');
  execFileSync('truncate', ['-s', String(8 * MiB), noFat]);
  execFileSync('sfdisk', ['-q', '--no-reread', '--no-tell-kernel', noFat], { input: 'label: dos\nstart=2048, type=83\n' });
  await expect(findFatPartition(noFat)).rejects.toMatchObject({
    code: 'FLASH_REFUSED',
    message: expect.stringContaining('has no FAT partition to write to (MBR partitions: 1: 0x83)'),
  });
  // typed FAT but never formatted: no FAT boot sector, so nothing is written there
  execFileSync('sfdisk', ['-q', '--no-reread', '--no-tell-kernel', noFat], { input: 'label: dos\nstart=2048, type=c\n' });
  await expect(findFatPartition(noFat)).rejects.toMatchObject({ details: { reason: 'no-fat' } });
  const blank = join(dir, 'blank.img');
  execFileSync('truncate', ['-s', String(MiB), blank]);
  await expect(findFatPartition(blank)).rejects.toMatchObject({ details: { reason: 'no-partition-table' } });
});

test('provision writes the file into the FAT root, reads it back equal, refreshes .sha256 and .bmap', async () => {
  const { image, offset } = await makeImage('mbr');
  const json = file('stalker-provision.json', JSON_DOC);
  const r = await provisionImage(image, [json]);
  expect(r).toMatchObject({ written: ['stalker-provision.json'], removed: [], partition: { index: 1, start: MiB, table: 'mbr' } });
  expect(fatRead(image, offset, 'stalker-provision.json').equals(Buffer.from(JSON_DOC))).toBe(true);
  expect(fatRead(image, offset, 'config.txt').toString()).toBe('arm_64bit=1\n'); // the rest is as it was
  expect(r.refreshed).toEqual([`${image}.sha256`, `${image}.bmap`]);
  expect(readFileSync(`${image}.sha256`, 'utf8')).toBe(`${sha(image)}  ${image.split('/').pop()}\n`);
  // bmaptool checks every range's sha256 against the image while it copies
  const copy = join(dir, `bmapcopy${n++}.img`);
  sh('bmaptool', ['-q', 'copy', '--bmap', `${image}.bmap`, image, copy]);
  expect(sha(copy)).toBe(sha(image));
});

test('a cloud-init set on GPT/FAT16; provisioning again with another format removes the old files', async () => {
  const { image, offset } = await makeImage('gpt', 16);
  const paths = Object.entries(CLOUD).map(([name, text]) => file(name, text));
  const r = await provisionImage(image, paths);
  expect(r.written).toEqual(['user-data', 'network-config', 'meta-data']);
  expect(r.checked.provision.refused).toEqual([expect.stringMatching(new RegExp(`^${paths[0]}:3:1: runcmd: `))]);
  for (const [name, text] of Object.entries(CLOUD)) expect(fatRead(image, offset, name).toString()).toBe(text);
  expect(fatList(image, offset)).toEqual(['config.txt', 'meta-data', 'network-config', 'user-data']);

  const again = await provisionImage(image, [file('stalker-provision.json', JSON_DOC)]);
  // the device reads the first format present: a user-data left there would hold stale secrets
  expect(again.removed).toEqual(['user-data', 'network-config', 'meta-data']);
  expect(fatList(image, offset)).toEqual(['config.txt', 'stalker-provision.json']);
});

test('a bad file or a wrong name writes nothing: the image and its sidecars keep their bytes', async () => {
  const { image } = await makeImage('mbr');
  const before = [sha(image), readFileSync(`${image}.sha256`, 'utf8'), readFileSync(`${image}.bmap`, 'utf8')];
  const bad = file('stalker-provision.json', '{\n  "System": {\n    "hostname": "not valid!"\n  }\n}\n');
  await expect(provisionImage(image, [bad])).rejects.toMatchObject({
    code: 'CONFIG_INVALID',
    message: expect.stringMatching(new RegExp(`^${bad}:3:5: System\\.hostname: `)),
  });
  await expect(provisionImage(image, [file('provision.json', JSON_DOC)])).rejects.toMatchObject({
    code: 'USAGE',
    message: expect.stringContaining('the name must be one of stalker-provision.json, rpi-preseed.toml'),
  });
  expect([sha(image), readFileSync(`${image}.sha256`, 'utf8'), readFileSync(`${image}.bmap`, 'utf8')]).toEqual(before);
  // an image damaged since its .sha256 was written is not blessed with a new one
  writeFileSync(`${image}.sha256`, `${'0'.repeat(64)}  x.img\n`);
  await expect(provisionImage(image, [file('stalker-provision.json', JSON_DOC)])).rejects.toMatchObject({ code: 'FLASH_VERIFY' });
  expect(sha(image)).toBe(before[0]);
});

test('the built CLI: exit 0 and what was written; exit 2 and one FILE:line:col: message per problem', async () => {
  execFileSync(join(repo, 'bin/stalker'), ['--version'], { stdio: 'ignore' }); // builds dist/ if stale
  const { image } = await makeImage('mbr');
  const main = join(repo, 'dist/lib/cli/main.js');
  const run = (args: string[]) => spawnSync('node', [main, ...args], { encoding: 'utf8', timeout: 60_000 });
  const ok = run(['provision', image, file('stalker-provision.json', JSON_DOC)]);
  expect(ok.stderr).toBe('');
  expect(ok.status).toBe(0);
  expect(ok.stdout).toContain(`wrote stalker-provision.json to ${image} (MBR partition 1, FAT, at byte 1048576), read back equal`);
  expect(ok.stdout).toContain('refreshed ');
  expect(ok.stdout).toMatch(/hold secrets/);
  const before = sha(image);
  const bad = file('stalker-provision.json', '{ "System": { "hostname": 7 } }\n');
  const no = run(['provision', image, bad]);
  expect(no.status).toBe(2);
  expect(no.stdout).toBe('');
  expect(no.stderr).toMatch(new RegExp(`^${bad}:1:\\d+: System\\.hostname: [^\\n]+\\n$`));
  const wrong = run(['provision', image, file('user_data', '#cloud-config\n')]);
  expect(wrong.status).toBe(2);
  expect(wrong.stderr).toMatch(
    /^stalker: \S+user_data: not a provisioning file: the name must be one of stalker-provision\.json, rpi-preseed\.toml, user-data, network-config, meta-data\n$/,
  );
  expect(sha(image)).toBe(before);
});

test('flash --provision to a file target: the image flashed as it is, the files in the copy', async () => {
  const { image, offset } = await makeImage('mbr');
  const before = sha(image);
  const { files } = await checkProvisionFiles([file('stalker-provision.json', JSON_DOC)]);
  const target = join(dir, `card${n++}.img`);
  const r = await flash(image, target, { yes: true, allowFile: true, provision: files });
  expect(r).toMatchObject({ verified: true, provisioned: { written: ['stalker-provision.json'], partition: 1 } });
  expect(fatRead(target, offset, 'stalker-provision.json').toString()).toBe(JSON_DOC);
  expect(sha(image)).toBe(before);
});

test('flash --provision to a loop device: written, read back, and nothing written when a file is bad', async () => {
  const { image, offset } = await makeImage('mbr');
  const backing = join(dir, `loop${n++}.bin`);
  execFileSync('truncate', ['-s', String(64 * MiB), backing]);
  const dev = sh('losetup', ['-f', '--show', backing]).trim();
  loops.push(dev);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const bad = file('user-data', '#cloud-config\nhostname: [1, 2\n');
    expect(await flashCommand([image, '--device', dev, '--yes', '--provision', bad])).toBe(2);
    expect(sh('cmp', ['-n', String(48 * MiB), dev, '/dev/zero']).trim()).toBe(''); // not one byte written
    const paths = Object.entries(CLOUD).map(([name, text]) => file(name, text));
    expect(await flashCommand([image, '--device', dev, '--yes', '--provision', ...paths])).toBe(0);
    const said = err.mock.calls.map((c) => String(c[0])).join('');
    expect(said).toMatch(new RegExp(`^${bad}:\\d+:\\d+: `, 'm'));
    expect(said).toContain(`wrote user-data, network-config, meta-data to ${dev} (partition 1, FAT), read back equal`);
  } finally {
    err.mockRestore();
  }
  for (const [name, text] of Object.entries(CLOUD)) expect(fatRead(dev, offset, name).toString()).toBe(text);
  expect(existsSync(dev)).toBe(true);
});
