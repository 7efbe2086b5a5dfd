// Issue 9, audit: deletes keep what they removed, a deleted entry is one problem, entries can be
// read one at a time and filtered, and a database rolled back on disk is detected through the head
// anchored outside it (the audit agent's file and System.audit_anchor).
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import type { AgentRuntime } from '../../lib/device/agents/agent-runtime.js';
import { auditAgent } from '../../lib/device/agents/audit-agent.js';
import { startAgent } from './helpers/agents.js';
import { OvsdbServer, until } from './helpers/ovsdb-server.js';
import { sysdbOn } from './helpers/sysdb-in-process.js';

jest.setTimeout(30_000);
let server: OvsdbServer;
let runtime: AgentRuntime | undefined;
beforeEach(async () => {
  server = new OvsdbServer();
  await server.start();
});
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
  await server.dispose();
});

const sysdb = (...args: string[]) => sysdbOn(server.remote, args);

it('a delete records the deleted values; audit show N prints one entry; a missing entry is one clear line', async () => {
  await sysdb('set', 'interface', 'eth0', 'mtu', '9000');
  await sysdb('set', 'interface', 'eth0', 'ip', '10.0.0.2/24');
  await sysdb('del', 'interface', 'eth0');
  const shown = await sysdb('audit', 'show', '3');
  expect(shown.code).toBe(0);
  expect(shown.out).toMatch(/^entry 3\ntime \S+Z\nwho {2}\S+@\S+/);
  expect(JSON.parse(shown.out.slice(shown.out.indexOf('change ') + 7))).toEqual([
    expect.objectContaining({ op: 'delete', table: 'Interface', key: 'eth0', values: { mtu: 9000, ip: '10.0.0.2/24' } }),
  ]);
  expect(await sysdb('audit', 'show', '9')).toMatchObject({ code: 1, err: 'sysdb: audit entry 9 does not exist' });

  for (let i = 0; i < 4; i++) await sysdb('set', 'system', 'hostname', `pi${i}`);
  server.transact([{ op: 'delete', table: 'Audit', where: [['seq', '==', 2]] }]);
  const r = await sysdb('audit', 'verify');
  expect(r.code).toBe(3);
  expect(r.err).toBe('sysdb: audit: entry 2 is missing (deleted)');
});

it('audit --last N and --table filter the list', async () => {
  await sysdb('set', 'interface', 'eth0', 'mtu', '1500');
  await sysdb('set', 'system', 'hostname', 'pi');
  await sysdb('set', 'vm', 'vm1', 'state', 'stop');
  expect((await sysdb('audit', '--last', '2')).out.split('\n').map((l) => l.split(' ')[0])).toEqual(['2', '3']);
  expect((await sysdb('audit', '--table', 'VirtualMachine')).out.split('\n').map((l) => l.split(' ')[0])).toEqual(['3']);
  expect(await sysdb('audit', '--last', 'x')).toMatchObject({ code: 2, err: expect.stringMatching(/--last must be a positive integer/) });
});

it('a database file rolled back to an older copy is detected through the anchor beside it', async () => {
  const anchorFile = path.join(server.dir, 'audit-head');
  ({ runtime } = await startAgent(auditAgent({ anchorFile, intervalMs: 60_000 }), server.remote));
  await sysdb('set', 'system', 'hostname', 'pi0');
  await server.stop();
  copyFileSync(server.db, path.join(server.dir, 'old.db'));
  await server.start();
  for (let i = 1; i <= 5; i++) await sysdb('set', 'system', 'hostname', `pi${i}`);
  await until('anchor at entry 6', () => readFileSync(anchorFile, 'utf8').startsWith('6:'));
  expect(await sysdb('audit', 'verify')).toMatchObject({ code: 0, out: expect.stringMatching(/intact: 6 entries \(matches audit agent/) });

  // The file is replaced by the older, self-consistent copy: its own chain and head check out.
  await server.stop();
  copyFileSync(path.join(server.dir, 'old.db'), server.db);
  await server.start();
  const r = await until('rollback reported', async () => {
    const v = await sysdb('audit', 'verify');
    return v.code === 3 && v;
  });
  expect(r.err).toMatch(/the audit agent \(System\.audit_anchor\) records entry 6, the database ends at 1: database rolled back or truncated/);
  // The anchor file never moves backwards, and --anchor FILE checks against it directly too.
  expect(readFileSync(anchorFile, 'utf8')).toMatch(/^6:/);
  await runtime!.stop();
  runtime = undefined;
  server.transact([{ op: 'update', table: 'System', where: [], row: { audit_anchor: ['set', []] } }]);
  const direct = await sysdb('audit', 'verify', '--anchor', anchorFile);
  expect(direct.code).toBe(3);
  expect(direct.err).toMatch(/anchor file .*audit-head records entry 6, the database ends at 1/);
});

it('a byte edited in the database file (ovsdb-server then serves it as before that record) is detected', async () => {
  const anchorFile = path.join(server.dir, 'audit-head');
  ({ runtime } = await startAgent(auditAgent({ anchorFile, intervalMs: 60_000 }), server.remote));
  for (let i = 1; i <= 6; i++) await sysdb('set', 'system', 'hostname', `host-${i}`);
  await until('anchor at entry 6', () => readFileSync(anchorFile, 'utf8').startsWith('6:'));
  await server.stop();
  const db = readFileSync(server.db);
  const at = db.indexOf('host-3');
  db[at] = 'H'.charCodeAt(0); // the record's checksum no longer matches
  writeFileSync(server.db, db);
  await server.start();
  const r = await until('rollback reported', async () => {
    const v = await sysdb('audit', 'verify');
    return v.code === 3 && v;
  });
  expect(r.err).toMatch(/records entry 6, the database ends at [0-5]: database rolled back or truncated/);
});
