import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { OvsdbServer } from './helpers/ovsdb-server.js';
import { sysdbOn } from './helpers/sysdb-in-process.js';

let server: OvsdbServer;
beforeEach(async () => {
  server = new OvsdbServer();
  await server.start();
});
afterEach(() => server.dispose());

const sysdb = (...args: string[]) => sysdbOn(server.remote, args);

function state(doc: unknown): string {
  const file = path.join(server.dir, `state-${Math.random()}.json`);
  writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return file;
}

const rowsOf = (table: string) => (server.transact([{ op: 'select', table, where: [] }]) as [{ rows: Record<string, unknown>[] }])[0].rows;

describe('sysdb set / show', () => {
  it('sets interface columns, creating the row, and shows them', async () => {
    expect((await sysdb('set', 'interface', 'eth0', 'ip', '10.0.0.2/24')).code).toBe(0);
    expect((await sysdb('set', 'interface', 'eth0', 'vlan', '100')).out).toMatch(/~ interface eth0: vlan none -> 100/);
    expect((await sysdb('set', 'system', 'hostname', 'pi')).code).toBe(0);
    const shown = await sysdb('show', 'interface');
    expect(shown.out).toMatch(
      /^name\s+admin_state\s+bridge\s+dhcp\s+gateway\s+ip\s+mtu\s+routes\s+vlan\s+status\neth0\s+-\s+-\s+-\s+-\s+10\.0\.0\.2\/24\s+-\s+-\s+100\s+-$/,
    );
    expect(rowsOf('Interface')).toEqual([expect.objectContaining({ name: 'eth0', ip: '10.0.0.2/24', vlan: 100 })]);
    expect((await sysdb('set', 'interface', 'eth0', 'vlan', '100')).out).toBe('no changes');
  });

  it.each([
    [['set', 'nosuch', 'x', 'a', 'b'], /unknown table "nosuch"/],
    [['set', 'interface', 'eth0', 'colour', 'red'], /unknown column "colour" in interface/],
    [['set', 'interface', 'eth0', 'vlan', '4096'], /bad value 4096 for interface\.vlan: expected an integer in 0\.\.4095/],
    [['set', 'interface', 'eth0', 'ip', '10.0.0.300/24'], /bad value "10\.0\.0\.300\/24" for interface\.ip/],
    [['set', 'interface', 'eth0', 'admin_state', 'sideways'], /expected one of down, up/],
    [['set', 'storage', 'data', 'lun', '1'], /storage data does not exist; creating it needs portal, target_iqn, mount_point too/],
    [['set', 'vm', 'vm1', 'pid', '4'], /observed state written by the agents/],
    // a negative number is a value (out of range), not an option: one line, not the usage
    [['set', 'interface', 'eth0', 'vlan', '-1'], /bad value -1 for interface\.vlan: expected an integer in 0\.\.4095/],
    // renaming a row that does not exist: nothing to rename (the audit entry used to name the wrong row)
    [['set', 'interface', 'eth9', 'name', 'eth10'], /^sysdb: interface eth9 does not exist \(setting its name renames a row\)$/],
    [['set', 'interface', 'eth0', 'gateway', '10.0.0.1,10.0.0.254'], /at most 2 values|one per address family|bad value/],
    [['set', 'interface', 'eth0', 'routes', '10.1.0.0/16 via fd00::1'], /one address family/],
    [['set', 'system', 'dns', '-8.8.8.8'], /expected an IP address/],
  ])('refuses %j with one clear message and writes nothing', async (args, message) => {
    const r = await sysdb(...args);
    expect(r.code).toBe(1);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toMatch(message);
    expect(rowsOf('Interface')).toEqual([]);
    expect(rowsOf('Audit')).toEqual([]);
  });
});

describe('sysdb apply', () => {
  const desired = {
    system: { hostname: 'pi', timezone: 'Europe/Berlin', log_level: 'info' },
    interface: { eth0: { ip: '10.0.0.2/24', vlan: 100, bridge: 'br0' }, eth1: { admin_state: 'down' } },
    vm: { vm1: { id: 1, vcpus: 1, memory: 64, state: 'run' } },
  };

  it('prints create/modify/delete, applies in one go, and is idempotent', async () => {
    const first = await sysdb('apply', state(desired));
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/\+ interface eth0: ip=10\.0\.0\.2\/24 vlan=100 bridge=br0/);
    expect(first.out).toMatch(/\+ vm vm1: id=1 vcpus=1 memory=64 state=run/);
    expect((await sysdb('apply', state(desired))).out).toBe('no changes');
    const next = { ...desired, interface: { eth0: { ip: '10.0.0.3/24', bridge: 'br0' } } };
    const dry = await sysdb('apply', state(next), '--dry-run');
    expect(dry.out).toMatch(/~ interface eth0: ip 10\.0\.0\.2\/24 -> 10\.0\.0\.3\/24, vlan 100 -> none\n- interface eth1\ndry run/);
    expect(rowsOf('Interface')).toHaveLength(2);
    expect((await sysdb('apply', state(next))).code).toBe(0);
    expect(rowsOf('Interface')).toEqual([expect.objectContaining({ name: 'eth0', ip: '10.0.0.3/24', vlan: ['set', []] })]);
    expect(rowsOf('VirtualMachine')).toHaveLength(1);
  });

  it.each([
    ['{"interface": {', /is not valid JSON/],
    [{ interface: { eth0: { mtu: 20 } } }, /bad value 20 for interface\.mtu: expected an integer in 68\.\.9216/],
    [{ vm: { vm1: { id: 1, vcpus: 1, state: 'run' } } }, /vm vm1: missing required column "memory"/],
    [{ telemetry: { loadavg: 1 } }, /telemetry is written by the system/],
    [[1, 2], /state must be a JSON object of tables/],
  ])('refuses a malformed state file %j and writes nothing', async (doc, message) => {
    const r = await sysdb('apply', state(doc));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(rowsOf('Interface')).toEqual([]);
    expect(rowsOf('Audit')).toEqual([]);
  });
});

describe('sysdb audit', () => {
  beforeEach(async () => {
    await sysdb('set', 'interface', 'eth0', 'mtu', '1500');
    await sysdb('set', 'interface', 'eth0', 'mtu', '9000');
    await sysdb('set', 'system', 'hostname', 'pi');
  });

  it('lists a hash-chained entry per applied change and verifies it', async () => {
    const list = await sysdb('audit');
    expect(list.out.split('\n')).toHaveLength(3);
    expect(list.out).toMatch(/^1 \S+Z \S+@\S+ .*"create".*"mtu":1500/);
    expect(await sysdb('audit', 'verify')).toMatchObject({ code: 0, out: 'audit log intact: 3 entries' });
  });

  it('detects an edited entry', async () => {
    server.transact([{ op: 'update', table: 'Audit', where: [['seq', '==', 2]], row: { who: 'mallory' } }]);
    const r = await sysdb('audit', 'verify');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/entry 2: content was edited/);
  });

  it('detects a removed middle entry and a removed last entry', async () => {
    server.transact([{ op: 'delete', table: 'Audit', where: [['seq', '==', 2]] }]);
    expect((await sysdb('audit', 'verify')).err).toMatch(/entry 2 is missing/);
    server.transact([{ op: 'delete', table: 'Audit', where: [['seq', '==', 3]] }]);
    const r = await sysdb('audit', 'verify');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/recorded head/);
  });
});
