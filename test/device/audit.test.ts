// Issue 9, audit: deletes keep what they removed, a deleted entry is one problem, entries can be
// read one at a time and filtered, and a database rolled back on disk is detected through the head
// anchored outside it (the audit agent's file and System.audit_anchor).
// Issue 26, items 5 and 6: every configuration change the agents act on is audited, including
// writes from OVSDB clients other than sysdb (ovsdb-client transact, the OVS IDL), and a write the
// CLI reports as applied is on disk (fsynced by ovsdb-server) before the CLI says so.
import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import type { AgentRuntime } from '../../lib/device/agents/agent-runtime.js';
import { auditAgent } from '../../lib/device/agents/audit-agent.js';
import { unauditedChanges } from '../../lib/device/agents/unaudited-changes.js';
import type { Change } from '../../lib/device/changes.js';
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

const entries = async () =>
  (await sysdb('audit')).out
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' '));

it('a hostname written with ovsdb-client transact is audited by the audit agent, and the chain stays intact', async () => {
  ({ runtime } = await startAgent(auditAgent({ anchorFile: path.join(server.dir, 'audit-head'), who: 'outside-sysdb@test' }), server.remote));
  await sysdb('set', 'system', 'hostname', 'pi0');
  server.transact([{ op: 'update', table: 'System', where: [], row: { hostname: 'evil' } }]);
  await until('the foreign write audited', async () => (await entries()).length === 2, 8000);
  const shown = await sysdb('audit', 'show', '2');
  expect(shown.out).toMatch(/^who {2}outside-sysdb@test$/m);
  const change = JSON.parse(shown.out.slice(shown.out.indexOf('change ') + 7)) as Change[];
  expect(change).toEqual([expect.objectContaining({ op: 'modify', table: 'System', key: '.', set: { hostname: { from: 'pi0', to: 'evil' } } })]);
  expect(await sysdb('audit', 'verify')).toMatchObject({ code: 0 });

  // A row created and one deleted outside sysdb; a sysdb write meanwhile gets no second entry.
  server.transact([{ op: 'insert', table: 'Interface', row: { name: 'eth9', mtu: 1400 } }]);
  await until('the insert audited', async () => (await entries()).length === 3, 8000);
  await sysdb('set', 'interface', 'eth9', 'mtu', '1500');
  server.transact([{ op: 'delete', table: 'Interface', where: [['name', '==', 'eth9']] }]);
  await until('the delete audited', async () => (await entries()).length === 5, 8000);
  await new Promise((r) => setTimeout(r, 500));
  const all = await entries();
  expect(all.map((e) => e[0])).toEqual(['1', '2', '3', '4', '5']);
  const last = JSON.parse((await sysdb('audit', 'show', '5')).out.split('change ')[1]) as Change[];
  expect(last).toEqual([expect.objectContaining({ op: 'delete', table: 'Interface', key: 'eth9', values: { mtu: 1500 } })]);
  expect((await sysdb('audit', 'show', '4')).out).not.toMatch(/outside-sysdb/);
  expect(await sysdb('audit', 'verify')).toMatchObject({ code: 0 });
});

it('coverage is per row and column: one update merging an audited and an unaudited write reports only the latter', () => {
  const updates = {
    System: { s: { old: { hostname: 'a', audit_head: '1:x' }, new: { hostname: 'b', timezone: 'Etc/UTC', audit_head: '2:y' } } },
    Interface: { i: { old: { mtu: 1500 }, new: { name: 'eth0', mtu: 9000 } } },
    VirtualMachine: { v: { old: { status: 'running' }, new: { name: 'vm1', status: 'crashed' } } },
  };
  const audited: Change[] = [{ op: 'modify', table: 'System', key: '.', uuid: 's', set: { hostname: { from: 'a', to: 'b' } } }];
  expect(unauditedChanges(updates, audited)).toEqual([{ op: 'modify', table: 'Interface', key: 'eth0', uuid: 'i', set: { mtu: { from: 1500, to: 9000 } } }]);
});

it('sysdb set is acknowledged only after ovsdb-server has fsynced the record (durable commit)', async () => {
  const log = path.join(server.dir, 'strace.log');
  const strace = spawn('strace', ['-f', '-e', 'trace=fsync,fdatasync', '-o', log, '-p', String(server.pid)], { stdio: 'ignore' });
  try {
    await until('strace attached', () => readFileSync(log, 'utf8').length >= 0 && strace.pid, 5000);
    await new Promise((r) => setTimeout(r, 500));
    expect(await sysdb('set', 'system', 'hostname', 'durable')).toMatchObject({ code: 0 });
    await until('the fsync traced', () => /fdatasync|fsync/.test(readFileSync(log, 'utf8')), 3000);
  } finally {
    strace.kill('SIGINT');
    await new Promise((r) => strace.once('exit', r));
  }
});
