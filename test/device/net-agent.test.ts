import path from 'node:path';
import type { AgentRuntime } from '../../lib/device/agents/agent-runtime.js';
import { execRunner } from '../../lib/device/agents/command-runner.js';
import { netAgent } from '../../lib/device/agents/net-agent.js';
import { startAgent } from './helpers/agents.js';
import { NetnsOvs } from './helpers/netns-ovs.js';
import { OvsdbServer, until } from './helpers/ovsdb-server.js';

import { existsSync, readlinkSync, readFileSync } from 'node:fs';
import { jest } from '@jest/globals';
jest.setTimeout(30_000);
let server: OvsdbServer;
let net: NetnsOvs;
let runtime: AgentRuntime | undefined;

beforeAll(async () => {
  server = new OvsdbServer();
  await server.start();
  net = new NetnsOvs(server.dir);
  await net.start();
  net.inNs('ip', 'link', 'add', 'vx0', 'type', 'veth', 'peer', 'name', 'vx1');
  net.inNs('ip', 'tuntap', 'add', 'vi7', 'mode', 'tap');
  server.transact([
    { op: 'insert', table: 'System', row: { hostname: 'pi-test', timezone: 'Europe/Berlin', log_level: 'info' } },
    { op: 'insert', table: 'Interface', row: { name: 'vx0', bridge: 'br0', vlan: 100, mtu: 1400, admin_state: 'up' } },
    { op: 'insert', table: 'Interface', row: { name: 'br0', ip: '10.9.0.1/24' } },
    { op: 'insert', table: 'Interface', row: { name: 'vx1', ip: '10.9.1.2/24', admin_state: 'up' } },
    { op: 'insert', table: 'Interface', row: { name: 'ghost0', admin_state: 'up' } },
    { op: 'insert', table: 'VirtualMachine', row: { name: 'vm1', id: 7, vcpus: 1, memory: 32, state: 'stop' } },
  ]);
});
afterAll(async () => {
  await runtime?.stop();
  await net.dispose();
  await server.dispose();
});

const agent = () =>
  netAgent({
    runner: execRunner(net.prefix),
    root: path.join(server.dir, 'root'),
    ovsDb: net.ovsDb,
    datapath: 'netdev',
    intervalMs: 60_000,
    stateFile: path.join(server.dir, 'net-addresses.json'),
  });
const vsctl = (...a: string[]) => net.sh('ovs-vsctl', `--db=${net.ovsDb}`, ...a).trim();
const status = (name: string) =>
  (server.transact([{ op: 'select', table: 'Interface', where: [['name', '==', name]] }]) as [{ rows: { status: unknown }[] }])[0].rows[0].status;

it('--dry-run prints the plan and changes nothing', async () => {
  const { runtime: r, lines } = await startAgent(agent(), server.remote, true);
  await r.stop();
  const plan = lines.filter((l) => l.startsWith('plan: '));
  expect(plan).toEqual(
    expect.arrayContaining([
      'plan: hostname -- pi-test',
      expect.stringMatching(/add-br br0 -- set bridge br0 datapath_type=netdev$/),
      'plan: ip link set dev vx1 up',
    ]),
  );
  expect(vsctl('list-br')).toBe('');
  expect(net.inNs('hostname').trim()).toBe('before');
});

it('configures OVS, links, addresses and system files, then has nothing left to do', async () => {
  let lines: string[];
  ({ runtime, lines } = await startAgent(agent(), server.remote));
  expect(lines).toContain('agent net ready');
  expect(vsctl('list-ports', 'br0').split('\n').sort()).toEqual(['vi7', 'vx0']);
  expect(vsctl('get', 'port', 'vx0', 'tag')).toBe('100');
  expect(vsctl('get', 'bridge', 'br0', 'datapath_type')).toBe('netdev');
  expect(net.inNs('ip', '-br', 'addr', 'show', 'br0')).toMatch(/10\.9\.0\.1\/24/);
  // the row for br0 names no admin_state: a bridge's own port is brought up for it (OVS creates it down)
  expect(net.inNs('ip', 'link', 'show', 'br0')).toMatch(/<[^>]*\bUP\b/);
  expect(net.inNs('ip', '-br', 'addr', 'show', 'vx1')).toMatch(/10\.9\.1\.2\/24/);
  expect(net.inNs('ip', 'link', 'show', 'vx0')).toMatch(/mtu 1400/);
  expect(net.inNs('hostname').trim()).toBe('pi-test');
  expect(readlinkSync(path.join(server.dir, 'root/etc/localtime'))).toBe('/usr/share/zoneinfo/Europe/Berlin');
  expect(readFileSync(path.join(server.dir, 'root/etc/systemd/journald.conf.d/stalker-log-level.conf'), 'utf8')).toContain('MaxLevelStore=info');
  await until('statuses', () => status('vx0') === 'ok' && status('ghost0') === 'error: no such device');

  const before = lines.filter((l) => l.includes('"msg":"applied"')).length;
  runtime.kick();
  await runtime.settle();
  expect(lines.filter((l) => l.includes('"msg":"applied"')).length).toBe(before);
});

it('follows database changes, and reconverges after ovsdb-server is killed and restarted', async () => {
  server.transact([{ op: 'update', table: 'Interface', where: [['name', '==', 'vx0']], row: { vlan: 200 } }]);
  await until('vlan 200', () => vsctl('get', 'port', 'vx0', 'tag') === '200');
  await server.stop();
  net.sh(
    'ovsdb-tool',
    'transact',
    server.db,
    JSON.stringify([
      'Sysdb',
      { op: 'update', table: 'Interface', where: [['name', '==', 'vx0']], row: { vlan: 300 } },
      { op: 'delete', table: 'VirtualMachine', where: [] },
    ]),
  );
  await server.start();
  await until('vlan 300 after restart', () => vsctl('get', 'port', 'vx0', 'tag') === '300', 10_000);
  await until('vm tap removed', () => vsctl('list-ports', 'br0') === 'vx0');
});

const system = () => (server.transact([{ op: 'select', table: 'System', where: [] }]) as [{ rows: Record<string, unknown>[] }])[0].rows[0];
const setSystem = (row: Record<string, unknown>) => server.transact([{ op: 'update', table: 'System', where: [], row }]);
const setIface = (name: string, row: Record<string, unknown>) => server.transact([{ op: 'update', table: 'Interface', where: [['name', '==', name]], row }]);
const addrs = (dev: string) =>
  (JSON.parse(net.inNs('ip', '-j', 'addr', 'show', 'dev', dev)) as { addr_info: { local: string; prefixlen: number; scope: string }[] }[])[0].addr_info
    .filter((a) => a.scope === 'global')
    .map((a) => `${a.local}/${a.prefixlen}`)
    .sort();

describe('values written past the CLI are checked again by the agent and reported in the status', () => {
  it.each([
    [{ hostname: '--file=/etc/os-release' }, /^error: hostname "--file=\/etc\/os-release" rejected: expected an RFC 1123 host name/],
    [{ hostname: 'bad host!' }, /^error: hostname "bad host!" rejected/],
    [{ timezone: 'Mars/Olympus' }, /^error: timezone "Mars\/Olympus" rejected: expected a time zone that exists under \/usr\/share\/zoneinfo/],
  ])('%j: nothing runs, System.status says why', async (row, message) => {
    const hostnameFile = path.join(server.dir, 'root/etc/hostname');
    const before = readFileSync(hostnameFile, 'utf8');
    setSystem(row);
    await until('System.status error', () => message.test(String(system().status)));
    expect(net.inNs('hostname').trim()).toBe('pi-test');
    expect(readFileSync(hostnameFile, 'utf8')).toBe(before);
    expect(readlinkSync(path.join(server.dir, 'root/etc/localtime'))).toBe('/usr/share/zoneinfo/Europe/Berlin');
    setSystem({ hostname: 'pi-test', timezone: 'Europe/Berlin' });
    await until('System.status ok', () => system().status === 'ok');
  });

  it('a refused value is logged once, not on every pass', async () => {
    const { runtime: r, lines } = await startAgent(agent(), server.remote);
    try {
      setSystem({ hostname: 'once more!' });
      await until('System.status error', () => /^error: hostname "once more!"/.test(String(system().status)));
      for (let i = 0; i < 3; i++) {
        r.kick();
        await r.settle();
      }
      expect(lines.filter((l) => l.includes('"msg":"value rejected"') && l.includes('once more!'))).toHaveLength(1);
    } finally {
      await r.stop();
      setSystem({ hostname: 'pi-test' });
      await until('System.status ok', () => system().status === 'ok');
    }
  });

  it('an interface name that is not one (inserted with ovsdb-client) is an error status, not a command', async () => {
    server.transact([{ op: 'insert', table: 'Interface', row: { name: '-evil', admin_state: 'up', bridge: 'br0' } }]);
    await until('rejected', () => /^error: name "-evil" rejected: expected an interface name/.test(String(status('-evil'))));
    expect(vsctl('list-ports', 'br0')).not.toMatch(/evil/);
  });

  it('a vlan on an interface without a bridge is an error in the status', async () => {
    net.inNs('ip', 'tuntap', 'add', 'dm0', 'mode', 'tap');
    server.transact([{ op: 'insert', table: 'Interface', row: { name: 'dm0', vlan: 5, admin_state: 'up' } }]);
    await until('vlan error', () => status('dm0') === 'error: vlan 5 needs a bridge (a VLAN tag is set on the bridge port)');
  });
});

describe('addresses', () => {
  it("setting IPv4 keeps the link's IPv6; several addresses per interface; ip none removes what the agent set", async () => {
    net.inNs('ip', 'addr', 'add', 'fd00:9::5/64', 'dev', 'vx1', 'nodad');
    setIface('vx1', { ip: '10.9.1.3/24' });
    await until('new IPv4, IPv6 kept', () => JSON.stringify(addrs('vx1')) === JSON.stringify(['10.9.1.3/24', 'fd00:9::5/64']));
    setIface('vx1', { ip: ['set', ['10.9.1.3/24', '10.9.1.4/24', 'fd00:9::7/64']] });
    await until('three addresses', () => JSON.stringify(addrs('vx1')) === JSON.stringify(['10.9.1.3/24', '10.9.1.4/24', 'fd00:9::7/64']));
    await until('status ok', () => status('vx1') === 'ok');
    setIface('vx1', { ip: ['set', []] });
    await until('addresses removed', () => addrs('vx1').length === 0);
  });

  it('a static address comes on top of a DHCP lease; dhcp false hands the link to the agent, which then drops the lease', async () => {
    // A lease is an address with a lifetime, as systemd-networkd's DHCP client sets it.
    net.inNs('ip', 'addr', 'add', '10.9.1.50/24', 'dev', 'vx1', 'valid_lft', '300', 'preferred_lft', '300');
    setIface('vx1', { ip: '10.9.1.3/24' });
    await until('static address added', () => addrs('vx1').includes('10.9.1.3/24'));
    await until('status ok', () => status('vx1') === 'ok');
    expect(addrs('vx1')).toEqual(['10.9.1.3/24', '10.9.1.50/24']);
    const dropin = path.join(server.dir, 'root/run/systemd/network/10-stalker-vx1.network');
    expect(existsSync(dropin)).toBe(false);
    setIface('vx1', { dhcp: false });
    await until('lease removed', () => JSON.stringify(addrs('vx1')) === JSON.stringify(['10.9.1.3/24']));
    expect(readFileSync(dropin, 'utf8')).toMatch(/^\[Match\]\nName=vx1\n\n\[Link\]\nUnmanaged=yes$/m);
    setIface('vx1', { dhcp: ['set', []] });
    await until('networkd drop-in removed', () => !existsSync(dropin));
  });

  it('a restarted agent still removes the addresses and routes it added', async () => {
    setIface('vx1', { ip: '10.9.1.3/24' });
    await until('address', () => JSON.stringify(addrs('vx1')) === JSON.stringify(['10.9.1.3/24']));
    net.inNs('ip', 'route', 'add', 'default', 'via', '10.9.1.254', 'dev', 'vx1', 'proto', 'dhcp', 'metric', '1024');
    setIface('vx1', { gateway: '10.9.1.1', routes: '10.50.0.0/16 via 10.9.1.1' });
    const routes = () => net.inNs('ip', 'route', 'show', 'dev', 'vx1');
    await until('routes added', () => /^default via 10\.9\.1\.1 proto 241/m.test(routes()) && /^10\.50\.0\.0\/16 via 10\.9\.1\.1 proto 241/m.test(routes()));
    await runtime!.stop();
    net.inNs('ip', 'addr', 'add', '10.9.1.9/24', 'dev', 'vx1');
    ({ runtime } = await startAgent(agent(), server.remote));
    // 10.9.1.9 is not the agent's: it was added while the agent was down and the row names IPv4, so
    // it goes as any other address of the family; what matters is that "none" below still knows 10.9.1.3.
    await until('converged', () => JSON.stringify(addrs('vx1')) === JSON.stringify(['10.9.1.3/24']));
    setIface('vx1', { gateway: ['set', []], routes: ['set', []] });
    await until('routes removed after restart', () => !/proto 241/.test(routes()));
    // the DHCP client's default route is not the agent's
    expect(routes()).toMatch(/^default via 10\.9\.1\.254 proto dhcp metric 1024/m);
    setIface('vx1', { ip: ['set', []] });
    await until('address removed after restart', () => addrs('vx1').length === 0);
  });

  it('System.dns becomes the resolver drop-in; none removes it', async () => {
    const file = path.join(server.dir, 'root/run/systemd/resolved.conf.d/stalker-dns.conf');
    setSystem({ dns: ['set', ['9.9.9.9', '2620:fe::fe']] });
    await until('dns drop-in', () => existsSync(file) && /^DNS=2620:fe::fe 9\.9\.9\.9$/m.test(readFileSync(file, 'utf8')));
    setSystem({ dns: ['set', []] });
    await until('dns drop-in removed', () => !existsSync(file));
  });
});
