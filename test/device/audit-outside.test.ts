// Issue 26, items 5 and 6: every configuration change the agents act on is audited, including
// writes from OVSDB clients other than sysdb (ovsdb-client transact, the OVS IDL), and a write the
// CLI reports as applied is on disk (fsynced by ovsdb-server) before the CLI says so.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
