// The per-repository build lock on a real directory: held, refused with its holder, released,
// and taken over when its holder died.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireBuildLock } from '../../lib/run/build-lock.js';
import { StalkerError } from '../../lib/errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stalker-lock-'));
  process.env.STALKER_LOCK_DIR = dir;
});
afterEach(() => {
  delete process.env.STALKER_LOCK_DIR;
  rmSync(dir, { recursive: true, force: true });
});

test('a held lock refuses a second build, naming pid, run, tree and the lock file; release frees it', async () => {
  const release = await acquireBuildLock('demo', { run: 'r1', tree: '/p/trees/demo/demo.hjson' });
  const err = await acquireBuildLock('demo', { run: 'r2', tree: '/p/trees/demo/demo.hjson' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(StalkerError);
  expect((err as StalkerError).code).toBe('BUSY');
  expect((err as StalkerError).message).toContain(`repository demo is being built by pid ${process.pid} (run r1 of /p/trees/demo/demo.hjson`);
  expect((err as StalkerError).message).toContain(join(dir, 'demo.lock'));
  // another repository is not held up
  const other = await acquireBuildLock('other', { run: 'r3', tree: 't' });
  await other();
  await release();
  expect(readdirSync(dir)).toEqual([]);
  const again = await acquireBuildLock('demo', { run: 'r4', tree: 't' });
  await again();
});

test('a lock whose holder died is taken over', async () => {
  const dead = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim();
  writeFileSync(join(dir, 'demo.lock'), JSON.stringify({ pid: Number(dead), run: 'old', tree: 't', started: '2026-01-01T00:00:00Z' }));
  const release = await acquireBuildLock('demo', { run: 'new', tree: 't' });
  await release();
  expect(existsSync(join(dir, 'demo.lock'))).toBe(false);
});

test('release leaves a lock that another run holds now', async () => {
  const release = await acquireBuildLock('demo', { run: 'r1', tree: 't' });
  writeFileSync(join(dir, 'demo.lock'), JSON.stringify({ pid: process.pid, run: 'someone-else', tree: 't', started: 'x' }));
  await release();
  expect(existsSync(join(dir, 'demo.lock'))).toBe(true);
});
