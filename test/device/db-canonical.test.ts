// Issue 13, reproducible images: the same seed applied to two real ovsdb-servers gives two files
// that differ (random row UUIDs, wall-clock record dates); `sysdb canonicalize` makes them the same
// bytes, and the result is still a database ovsdb-server opens with an intact audit chain.
import { readFileSync, writeFileSync } from 'node:fs';
import { jest } from '@jest/globals';
import { OvsdbServer } from './helpers/ovsdb-server.js';
import { sysdbOn } from './helpers/sysdb-in-process.js';

jest.setTimeout(30_000);
const EPOCH = '1795219200';
const STATE = JSON.stringify({
  system: { hostname: 'raspi', timezone: 'Etc/UTC', log_level: 'info' },
  interface: { eth0: { mtu: 1500 }, eth1: { mtu: 9000, ip: '10.0.0.2/24' }, wlan0: { mtu: 1400 } },
});
const servers: OvsdbServer[] = [];
const saved = process.env.SOURCE_DATE_EPOCH;

afterEach(async () => {
  process.env.SOURCE_DATE_EPOCH = saved;
  if (saved === undefined) delete process.env.SOURCE_DATE_EPOCH;
  for (const s of servers.splice(0)) await s.dispose();
});

async function seeded(): Promise<OvsdbServer> {
  const s = new OvsdbServer();
  servers.push(s);
  await s.start();
  const r = await sysdbOn(s.remote, ['apply', '-'], STATE);
  expect(r).toMatchObject({ code: 0 });
  await s.stop();
  return s;
}

it('two seeds of the same state: different files, the same bytes once canonical, still a valid database', async () => {
  process.env.SOURCE_DATE_EPOCH = EPOCH;
  const a = await seeded();
  await new Promise((r) => setTimeout(r, 20)); // a later wall clock for the second seed's records
  const b = await seeded();
  const rawA = readFileSync(a.db);
  expect(rawA.equals(readFileSync(b.db))).toBe(false);

  for (const s of [a, b])
    expect(await sysdbOn(s.remote, ['canonicalize', s.db])).toMatchObject({ code: 0, out: `${s.db}: 2 records, dated 2026-11-21T00:00:00.000Z` });
  const canonical = readFileSync(a.db);
  expect(canonical.equals(readFileSync(b.db))).toBe(true);
  expect(canonical.toString()).toContain('"_date":1795219200000');
  expect(canonical.toString()).toContain('"time":"2026-11-21T00:00:00.000Z"');

  // ovsdb-server reads it (checksums, lengths) and the CLI finds the rows and an intact chain
  await a.start();
  expect((await sysdbOn(a.remote, ['audit', 'verify'])).out).toBe('audit log intact: 1 entries');
  expect(JSON.parse((await sysdbOn(a.remote, ['query', 'interface', 'eth1'])).out)).toEqual({ interface: { eth1: { mtu: 9000, ip: '10.0.0.2/24' } } });
  await a.stop();
  expect(readFileSync(a.db).equals(canonical)).toBe(true); // opening it did not rewrite it
});

it('refuses what it cannot renumber, a file that is not a database, and a missing SOURCE_DATE_EPOCH', async () => {
  process.env.SOURCE_DATE_EPOCH = EPOCH;
  const s = await seeded();
  await s.start();
  await sysdbOn(s.remote, ['set', 'interface', 'eth0', 'mtu', '1600']); // the audit entry quotes the row's UUID
  await s.stop();
  const before = readFileSync(s.db);
  expect(await sysdbOn(s.remote, ['canonicalize', s.db])).toMatchObject({
    code: 1,
    err: expect.stringMatching(/a row UUID inside a string value cannot be renumbered/),
  });
  expect(readFileSync(s.db).equals(before)).toBe(true);

  writeFileSync(s.db, before.subarray(0, before.length - 5));
  expect((await sysdbOn(s.remote, ['canonicalize', s.db])).err).toMatch(/record 3 is truncated or does not match its checksum/);
  writeFileSync(s.db, 'SQLite format 3\0');
  expect((await sysdbOn(s.remote, ['canonicalize', s.db])).err).toMatch(/byte 0: not an OVSDB standalone record header/);
  expect((await sysdbOn(s.remote, ['canonicalize', `${s.db}.missing`])).err).toMatch(/cannot read .*: ENOENT/);

  delete process.env.SOURCE_DATE_EPOCH;
  expect(await sysdbOn(s.remote, ['canonicalize', s.db])).toMatchObject({ code: 2, err: expect.stringMatching(/needs SOURCE_DATE_EPOCH/) });
  process.env.SOURCE_DATE_EPOCH = '-1';
  expect(await sysdbOn(s.remote, ['canonicalize', s.db])).toMatchObject({ code: 2, err: expect.stringMatching(/whole seconds/) });
});
