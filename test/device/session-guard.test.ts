// Issue 26, item 1: a change that would cut the ssh session it came over (the README's example
// `sysdb set interface eth0 ip 10.0.0.2/24` did, through the net agent) is refused unless forced.
// The CLI runs on the device for ssh remotes, so sshd's SSH_CONNECTION names the session's address.
import os from 'node:os';
import type { Change } from '../../lib/device/changes.js';
import { cutsSession, sshSession, type Session } from '../../lib/device/cli/session-guard.js';
import { OvsdbServer } from './helpers/ovsdb-server.js';
import { sysdbOn } from './helpers/sysdb-in-process.js';

const lease: Session = { address: '10.0.2.15', cidr: '10.0.2.15/24', iface: 'eth0', dynamic: true };
const fixed: Session = { ...lease, dynamic: false };
const modify = (set: Record<string, [unknown, unknown]>, key = 'eth0'): Change[] => [
  { op: 'modify', table: 'Interface', key, uuid: 'u', set: Object.fromEntries(Object.entries(set).map(([k, [from, to]]) => [k, { from, to }])) as never },
];

it.each([
  ['a static address next to the lease', lease, modify({ ip: [null, '10.0.0.2/24'] }), undefined],
  ['a static address replacing a static session address', fixed, modify({ ip: ['10.0.2.15/24', '10.0.0.2/24'] }), /not in the new ip list/],
  ['an IPv4 address where the session address is static and unnamed', fixed, modify({ ip: [null, '10.0.0.2/24'] }), /not in the new ip list/],
  ['an IPv6 address where the session is on static IPv4', fixed, modify({ ip: [null, 'fd00::2/64'] }), undefined],
  ['dhcp false with the lease as the session', lease, modify({ dhcp: [null, false] }), /DHCP lease, and dhcp false drops it/],
  ['dhcp false naming the session address as static', lease, modify({ dhcp: [null, false], ip: [null, '10.0.2.15/24'] }), undefined],
  ['admin_state down', lease, modify({ admin_state: ['up', 'down'] }), /admin_state down/],
  ['the link into a bridge', lease, modify({ bridge: [null, 'br0'] }), /bridge port/],
  ['another interface', lease, modify({ admin_state: ['up', 'down'] }, 'eth1'), undefined],
  [
    'a new row for the session link, down',
    lease,
    [{ op: 'create', table: 'Interface', key: 'eth0', values: { name: 'eth0', admin_state: 'down' } }] as Change[],
    /admin_state/,
  ],
])('%s', (_what, session, changes, expected) => {
  const why = cutsSession(changes, session);
  if (expected) expect(why).toMatch(expected);
  else expect(why).toBeUndefined();
});

it('SSH_CONNECTION names the device address; an address no link has is no session', () => {
  const [iface, addrs] = Object.entries(os.networkInterfaces()).find(([, a]) => a?.some((x) => !x.internal && x.family === 'IPv4'))!;
  const mine = addrs!.find((x) => !x.internal && x.family === 'IPv4')!;
  expect(sshSession({ SSH_CONNECTION: `192.0.2.9 40000 ${mine.address} 22` })).toMatchObject({ address: mine.address, iface });
  expect(sshSession({ SSH_CONNECTION: '192.0.2.9 40000 192.0.2.10 22' })).toBeUndefined();
  expect(sshSession({})).toBeUndefined();
});

describe('through the CLI', () => {
  let server: OvsdbServer;
  const saved = process.env.SSH_CONNECTION;
  beforeAll(async () => {
    server = new OvsdbServer();
    await server.start();
  });
  afterAll(async () => {
    process.env.SSH_CONNECTION = saved;
    if (saved === undefined) delete process.env.SSH_CONNECTION;
    await server.dispose();
  });

  it('refuses to take the session link down, writes nothing, and does it with --force', async () => {
    const [iface, addrs] = Object.entries(os.networkInterfaces()).find(([, a]) => a?.some((x) => !x.internal && x.family === 'IPv4'))!;
    const address = addrs!.find((x) => !x.internal && x.family === 'IPv4')!.address;
    process.env.SSH_CONNECTION = `192.0.2.9 40000 ${address} 22`;
    const r = await sysdbOn(server.remote, ['set', 'interface', iface, 'admin_state', 'down']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `sysdb: this would cut the ssh session it came over (${address} on ${iface}: admin_state down takes the link down); nothing written: run it again with --force to do it anyway`,
    );
    expect((server.transact([{ op: 'select', table: 'Audit', where: [] }]) as [{ rows: unknown[] }])[0].rows).toEqual([]);
    const state = `{"interface": {"${iface}": {"admin_state": "down"}}}`;
    expect((await sysdbOn(server.remote, ['apply', '-'], state)).code).toBe(1);
    expect((await sysdbOn(server.remote, ['set', 'interface', iface, 'admin_state', 'down', '--force'])).code).toBe(0);
    // a harmless change to the same link needs no flag
    expect((await sysdbOn(server.remote, ['set', 'interface', iface, 'mtu', '1500'])).code).toBe(0);
  });
});
