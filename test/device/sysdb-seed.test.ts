// `sysdb seed`: an image's database made in one CLI run with a real ovsdb-server: the same bytes
// on every run (and as the separate create/apply/canonicalize commands make), an audit entry by
// the seeding user, no server left behind, and nothing left on a bad state file.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { jest } from '@jest/globals';
import { OvsdbServer } from './helpers/ovsdb-server.js';
import { sysdbOn } from './helpers/sysdb-in-process.js';

jest.setTimeout(30_000);
const SCHEMA = resolve('lib/device/sysdb.ovsschema');
const EPOCH = '1795219200';
const STATE = { system: { hostname: 'raspi', timezone: 'Etc/UTC', log_level: 'info' } };
const saved = { epoch: process.env.SOURCE_DATE_EPOCH, user: process.env.SUDO_USER };
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sysdb-seed-test-'));
  process.env.SOURCE_DATE_EPOCH = EPOCH;
  process.env.SUDO_USER = 'stalker-build';
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  for (const [k, v] of [
    ['SOURCE_DATE_EPOCH', saved.epoch],
    ['SUDO_USER', saved.user],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

const seed = (db: string, state: string) => sysdbOn('unix:/nonexistent', ['--schema', SCHEMA, 'seed', db, state]);
const seedServers = () => spawnSync('pgrep', ['-f', 'ovsdb-server .*sysdb-seed-'], { encoding: 'utf8' }).stdout.trim();

it('seeds a database: canonical bytes, the same twice, an audit entry, no server left', async () => {
  const state = join(dir, 'state.json');
  writeFileSync(state, JSON.stringify(STATE));
  const db = join(dir, 'sysdb.db');
  const r = await seed(db, state);
  expect(r).toMatchObject({ code: 0 });
  expect(r.out).toContain('applied 1 change(s) (audit entry 1)');
  expect(r.out).toContain('audit log intact: 1 entries');
  expect(r.out).toContain(`${db}: 2 records, dated 2026-11-21T00:00:00.000Z`);
  expect(seedServers()).toBe('');
  const first = readFileSync(db);
  expect(readdirSync(dir).sort()).toEqual(['state.json', 'sysdb.db']); // no lock file, no .bak
  await new Promise((r) => setTimeout(r, 1100)); // another wall-clock second for the server's records
  expect((await seed(db, state)).code).toBe(0);
  expect(readFileSync(db).equals(first)).toBe(true);

  // the same bytes as the separate commands give; the server opens it, the entry is the seeder's
  const s = new OvsdbServer();
  try {
    await s.start();
    expect((await sysdbOn(s.remote, ['apply', state])).code).toBe(0);
    await s.stop();
    expect((await sysdbOn(s.remote, ['canonicalize', s.db])).code).toBe(0);
    expect(readFileSync(s.db).equals(first)).toBe(true);
    writeFileSync(s.db, first);
    await s.start();
    expect((await sysdbOn(s.remote, ['audit'])).out).toMatch(/stalker-build@/);
  } finally {
    await s.dispose();
  }
});

it('a state the schema refuses: the error, no database, no server', async () => {
  const state = join(dir, 'state.json');
  writeFileSync(state, JSON.stringify({ system: { log_level: 'loud' } }));
  const db = join(dir, 'sysdb.db');
  writeFileSync(db, 'an older file');
  const r = await seed(db, state);
  expect(r.code).toBe(1);
  expect(r.err).toMatch(/log_level/);
  expect(existsSync(db)).toBe(false);
  expect(seedServers()).toBe('');
  expect(readdirSync(tmpdir()).filter((f) => f.startsWith('sysdb-seed-') && !f.startsWith('sysdb-seed-test-'))).toEqual([]);
});

it('usage: two arguments and SOURCE_DATE_EPOCH; a path that looks like an option is a path', async () => {
  expect(await seed(join(dir, 'x.db'), '')).toMatchObject({ code: 1 });
  expect((await sysdbOn('unix:/x', ['seed', 'only-one'])).code).toBe(2);
  delete process.env.SOURCE_DATE_EPOCH;
  expect((await sysdbOn('unix:/x', ['seed', 'a', 'b'])).err).toMatch(/needs SOURCE_DATE_EPOCH/);
  process.env.SOURCE_DATE_EPOCH = EPOCH;
  const state = join(dir, 'state.json');
  writeFileSync(state, JSON.stringify(STATE));
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    expect((await sysdbOn('unix:/x', ['--schema', SCHEMA, 'seed', '--', '-x.db', state])).code).toBe(0);
    expect(execFileSync('ovsdb-tool', ['db-name', join(dir, '-x.db')], { encoding: 'utf8' }).trim()).toBe('Sysdb');
  } finally {
    process.chdir(cwd);
  }
});
