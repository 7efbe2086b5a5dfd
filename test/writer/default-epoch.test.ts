// Where the writer's clamp comes from when the tree does not pin it: never from the export's own
// files (see test/engine/writer-repro.test.ts for two real writes of one image).
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseEpoch, FAT_EPOCH } from '../../lib/writer/default-epoch.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'epoch-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

test('the option wins, then the dpkg status mtime, then 1980; the environment is not read (not keyed)', async () => {
  process.env.SOURCE_DATE_EPOCH = '1760000000';
  expect(await chooseEpoch(root, undefined)).toEqual({ epoch: FAT_EPOCH, from: 'fat-minimum' });
  mkdirSync(join(root, 'var/lib/dpkg'), { recursive: true });
  writeFileSync(join(root, 'var/lib/dpkg/status'), '');
  utimesSync(join(root, 'var/lib/dpkg/status'), 1750000000, 1750000000.7);
  // an engine-made file newer than everything does not move it
  writeFileSync(join(root, '.dockerenv'), '');
  expect(await chooseEpoch(root, undefined)).toEqual({ epoch: 1750000000, from: 'dpkg-status' });
  expect(await chooseEpoch(root, '1795219200')).toEqual({ epoch: 1795219200, from: 'option' });
  expect(await chooseEpoch(root, 1700000000)).toEqual({ epoch: 1700000000, from: 'option' });
  delete process.env.SOURCE_DATE_EPOCH;
});

test('a clamp FAT cannot store or that is not a number is a config error', async () => {
  await expect(chooseEpoch(root, 1000)).rejects.toMatchObject({ code: 'WRITER_CONFIG' });
  await expect(chooseEpoch(root, '17e8')).rejects.toMatchObject({ code: 'WRITER_CONFIG' });
  await expect(chooseEpoch(root, 'yesterday')).rejects.toMatchObject({ code: 'WRITER_CONFIG' });
});
