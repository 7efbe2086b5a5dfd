// Issue 9: writes under contention and with a long audit log, and the verbs users expect
// (set creating a VM from defaults, del, query/export in the apply format, apply -, --schema).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import { OvsdbServer, SCHEMA } from './helpers/ovsdb-server.js';
import { countingProxy } from './helpers/counting-proxy.js';
import { seedAudit } from './helpers/seed-audit.js';
import { sysdbOn } from './helpers/sysdb-in-process.js';

jest.setTimeout(60_000);
let server: OvsdbServer;
beforeEach(async () => {
  server = new OvsdbServer();
  await server.start();
});
afterEach(() => server.dispose());

const sysdb = (args: string[], stdin?: string) => sysdbOn(server.remote, args, stdin);
const rowsOf = (table: string) => (server.transact([{ op: 'select', table, where: [] }]) as [{ rows: Record<string, unknown>[] }])[0].rows;

it('20 concurrent sysdb set on one row all land: write conflicts are retried, the chain stays linear', async () => {
  expect((await sysdb(['set', 'interface', 'eth0', 'mtu', '1500'])).code).toBe(0);
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => sysdb(['set', 'interface', 'eth0', 'mtu', String(2000 + i)])));
  expect(results.filter((r) => r.code !== 0).map((r) => r.err)).toEqual([]);
  expect(rowsOf('Audit')).toHaveLength(21);
  expect(await sysdb(['audit', 'verify'])).toMatchObject({ code: 0, out: 'audit log intact: 21 entries' });
});

it('sysdb set with 20,000 audit entries reads the chain head, not the whole Audit table', async () => {
  await seedAudit(server.remote, 20_000);
  const proxy = await countingProxy(server.sock, path.join(server.dir, 'proxy.sock'));
  try {
    const r = await sysdbOn(proxy.remote, ['set', 'interface', 'eth0', 'mtu', '9000']);
    expect(r.out).toMatch(/audit entry 20001/);
    const setRead = proxy.received();
    // what reading the whole table costs, through the same proxy: the bound below is far from it
    proxy.reset();
    expect((await sysdbOn(proxy.remote, ['audit', 'verify'])).out).toBe('audit log intact: 20001 entries');
    expect(proxy.received()).toBeGreaterThan(2 * 1024 * 1024);
    expect(setRead).toBeLessThan(64 * 1024);
  } finally {
    await proxy.close();
  }
});

describe('verbs', () => {
  it('set vm NAME state run creates the VM from the documented defaults', async () => {
    expect((await sysdb(['set', 'vm', 'vm1', 'state', 'run'])).out).toMatch(/\+ vm vm1: id=1 vcpus=1 memory=256 state=run/);
    expect((await sysdb(['set', 'vm', 'vm2', 'state', 'stop'])).out).toMatch(/\+ vm vm2: id=2 /);
    expect(
      rowsOf('VirtualMachine')
        .map((r) => [r.name, r.id, r.vcpus, r.memory, r.state])
        .sort(),
    ).toEqual([
      ['vm1', 1, 1, 256, 'run'],
      ['vm2', 2, 1, 256, 'stop'],
    ]);
  });

  it('del TABLE NAME deletes one row; an unknown row is one line, exit 1', async () => {
    await sysdb(['set', 'interface', 'eth0', 'mtu', '1500']);
    await sysdb(['set', 'interface', 'eth1', 'mtu', '1500']);
    expect(await sysdb(['del', 'interface', 'eth0'])).toMatchObject({ code: 0, out: expect.stringMatching(/^- interface eth0\napplied 1 change/) });
    expect(rowsOf('Interface').map((r) => r.name)).toEqual(['eth1']);
    expect(await sysdb(['del', 'interface', 'eth0'])).toMatchObject({ code: 1, err: 'sysdb: interface eth0 does not exist' });
  });

  it('export prints the apply format: export | apply - changes nothing; query prints one row', async () => {
    await sysdb(['set', 'system', 'hostname', 'pi']);
    await sysdb(['set', 'interface', 'eth0', 'ip', '10.0.0.2/24,fd00::2/64']);
    await sysdb(['set', 'vm', 'vm1', 'state', 'run']);
    const exported = await sysdb(['export']);
    expect(JSON.parse(exported.out)).toEqual({
      system: { hostname: 'pi' },
      interface: { eth0: { ip: ['10.0.0.2/24', 'fd00::2/64'] } },
      wifi: {},
      user: {},
      vm: { vm1: { id: 1, memory: 256, state: 'run', vcpus: 1 } },
      container: {},
      storage: {},
    });
    expect(await sysdb(['apply', '-'], exported.out)).toMatchObject({ code: 0, out: 'no changes' });
    expect(JSON.parse((await sysdb(['query', 'vm', 'vm1'])).out)).toEqual({ vm: { vm1: { id: 1, memory: 256, state: 'run', vcpus: 1 } } });
    const edited = JSON.parse(exported.out);
    edited.vm.vm1.memory = 512;
    expect((await sysdb(['apply', '-'], JSON.stringify(edited))).out).toMatch(/~ vm vm1: memory 256 -> 512/);
  });

  it("--schema FILE is accepted when it is the server's schema and refused otherwise", async () => {
    expect((await sysdb(['--schema', SCHEMA, 'show', 'system'])).code).toBe(0);
    const other = path.join(server.dir, 'other.ovsschema');
    writeFileSync(other, readFileSync(SCHEMA, 'utf8').replace('"maxInteger": 9216', '"maxInteger": 9000'));
    expect(await sysdb(['--schema', other, 'show', 'system'])).toMatchObject({
      code: 1,
      err: expect.stringMatching(/column Interface\.mtu differs from the server's schema/),
    });
    writeFileSync(other, readFileSync(SCHEMA, 'utf8').replace(/"version": "[^"]+"/, '"version": "0.9.0"'));
    expect(await sysdb(['--schema', other, 'show', 'system'])).toMatchObject({
      code: 1,
      err: expect.stringMatching(/is Sysdb 0\.9\.0, the server runs Sysdb 1\.\d+\.\d+/),
    });
  });
});
