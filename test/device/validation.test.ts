// Issue 9, values that reach commands: refused at the CLI (one line, nothing written), and made
// inert where they are used (QEMU's comma syntax). The agents' second check is in each agent's test.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { qemuArgv } from '../../lib/device/agents/qemu-command.js';
import { OvsdbServer } from './helpers/ovsdb-server.js';
import { sysdbOn } from './helpers/sysdb-in-process.js';

let server: OvsdbServer;
beforeEach(async () => {
  server = new OvsdbServer();
  await server.start();
});
afterEach(() => server.dispose());

const sysdb = (...args: string[]) => sysdbOn(server.remote, args);
const count = (table: string) => (server.transact([{ op: 'select', table, where: [] }]) as [{ rows: unknown[] }])[0].rows.length;

it.each([
  [['set', 'system', 'hostname', '--', '--file=/etc/os-release'], /hostname: expected an RFC 1123 host name/],
  [['set', 'system', 'hostname', 'bad host!'], /hostname: expected an RFC 1123/],
  [['set', 'system', 'hostname', '--', '-pi'], /hostname: expected an RFC 1123/],
  [['set', 'system', 'timezone', 'Mars/Olympus'], /timezone: expected a time zone that exists under \/usr\/share\/zoneinfo/],
  [['set', 'system', 'timezone', '../../../etc/passwd'], /timezone: expected a time zone name/],
  [['set', 'interface', 'averyveryverylongname', 'mtu', '1500'], /interface\.name: expected at most 15 characters/],
  [['set', 'interface', 'eth/0', 'mtu', '1500'], /interface\.name: expected an interface name/],
  [['set', 'interface', 'eth0', 'bridge', '--', '-br0'], /interface\.bridge: expected an interface name/],
  [['set', 'interface', 'eth0', 'ip', '10.0.0.1/33'], /interface\.ip: expected an address with prefix/],
  [['set', 'interface', 'eth0', 'ip', '10.0.0.1/24,fd00::1/129'], /interface\.ip: expected an address with prefix/],
  [['set', 'vm', 'evil,debug-threads=on', 'state', 'run'], /vm\.name: expected a VM name/],
  [['set', 'vm', 'vm1', 'disk', 'relative.raw'], /vm\.disk: expected an absolute, normalised path/],
  [['set', 'vm', 'vm1', 'kernel', '/boot/../etc/shadow'], /vm\.kernel: expected an absolute, normalised path/],
  [['set', 'storage', 'data', 'mount_point', 'mnt'], /storage\.mount_point: expected an absolute/],
  [['set', 'storage', 'data', 'fstype', '--', '-oremount'], /storage\.fstype: expected a file system type/],
])('refuses %j with one line and writes nothing', async (args, message) => {
  const r = await sysdb(...args);
  expect(r.code).toBe(1);
  expect(r.err.split('\n')).toHaveLength(1);
  expect(r.err).toMatch(message);
  expect(count('Audit')).toBe(0);
});

it('accepts what is valid: an FQDN, an existing zone, several addresses, a mount point with spaces', async () => {
  expect((await sysdb('set', 'system', 'hostname', 'pi-1.lab.example')).code).toBe(0);
  expect((await sysdb('set', 'system', 'timezone', 'America/Port-au-Prince')).code).toBe(0);
  expect((await sysdb('set', 'interface', 'eth0.100', 'ip', '10.0.0.1/24,fd00::1/64')).code).toBe(0);
  const doc = { storage: { data: { target_iqn: 'iqn.2003-01.org.example:disk1', portal: '192.0.2.10', lun: 1, mount_point: '/mnt/my data' } } };
  const file = path.join(server.dir, 'state.json');
  writeFileSync(file, JSON.stringify(doc));
  expect((await sysdb('apply', file)).code).toBe(0);
});

it('QEMU option syntax: commas in a disk path are doubled, so a path cannot add drive options', () => {
  const argv = qemuArgv(
    { _uuid: 'u', name: 'vm1', id: 1, vcpus: 1, memory: 64, disk: '/tmp/d.raw,snapshot=on,file.locking=off' },
    { qemu: 'qemu-system-aarch64', kvm: false, consoleDir: '/run/x', tap: false },
  );
  expect(argv[argv.indexOf('-drive') + 1]).toBe('file=/tmp/d.raw,,snapshot=on,,file.locking=off,if=virtio,format=raw');
});
