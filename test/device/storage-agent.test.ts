import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AgentRuntime } from '../../lib/device/agents/agent-runtime.js';
import type { CommandRunner } from '../../lib/device/agents/command-runner.js';
import { storageAgent, type StorageProbe } from '../../lib/device/agents/storage-agent.js';
import { runSysdb } from '../../lib/device/cli/sysdb-main.js';
import { startAgent } from './helpers/agents.js';
import { OvsdbServer, until } from './helpers/ovsdb-server.js';

// This machine's kernel has no iSCSI initiator (iscsi_tcp), so iscsiadm and mount are a recording
// fake that models their effects: a login makes the LUN's by-path device appear, mount adds to /proc/mounts.
class FakeSystem implements CommandRunner, StorageProbe {
  calls: string[] = [];
  sessions = new Set<string>();
  devices = new Set<string>();
  mounted = new Map<string, string>();
  failLogin = false;
  failMount = false;
  noDevice = false;

  async run(argv: string[]) {
    const cmd = argv.join(' ');
    if (cmd !== 'iscsiadm -m session') this.calls.push(cmd);
    const ok = (stdout = '') => ({ code: 0, stdout, stderr: '' });
    if (cmd === 'iscsiadm -m session') {
      return this.sessions.size
        ? ok([...this.sessions].map((s, i) => `tcp: [${i + 1}] 192.0.2.10:3260,1 ${s} (non-flash)`).join('\n'))
        : { code: 21, stdout: '', stderr: 'iscsiadm: No active sessions.' };
    }
    if (argv[0] === 'iscsiadm' && argv.includes('--login')) {
      if (this.failLogin) return { code: 24, stdout: '', stderr: 'iscsiadm: Login failed: authorization failure' };
      const iqn = argv[argv.indexOf('-T') + 1];
      this.sessions.add(iqn);
      if (!this.noDevice) this.devices.add(`/dev/disk/by-path/ip-192.0.2.10:3260-iscsi-${iqn}-lun-1`);
    }
    if (argv[0] === 'iscsiadm' && argv.includes('--logout')) this.sessions.delete(argv[argv.indexOf('-T') + 1]);
    if (argv[0] === 'mount' && this.failMount)
      return { code: 32, stdout: '', stderr: `mount: ${argv.at(-1)}: wrong fs type, bad option, bad superblock on ${argv.at(-2)}` };
    if (argv[0] === 'mount') this.mounted.set(argv.at(-1)!, argv.at(-2)!);
    if (argv[0] === 'umount') this.mounted.delete(argv.at(-1)!);
    return ok();
  }
  exists(p: string) {
    return this.devices.has(p);
  }
  // as the kernel writes /proc/mounts: space, tab, newline and backslash octal-escaped
  mounts() {
    return [...this.mounted]
      .map(([mp, dev]) => `${dev} ${mp.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`)} ext4 rw 0 0`)
      .join('\n');
  }
}

const IQN = 'iqn.2003-01.org.example:disk1';
const MP = `/tmp/stalker-test-storage-${process.pid}/data`;
const DEV = `/dev/disk/by-path/ip-192.0.2.10:3260-iscsi-${IQN}-lun-1`;
let server: OvsdbServer;
let runtime: AgentRuntime | undefined;
let sys: FakeSystem;
const row = () => (server.transact([{ op: 'select', table: 'Storage', where: [] }]) as [{ rows: Record<string, unknown>[] }])[0].rows[0];

beforeEach(async () => {
  server = new OvsdbServer();
  await server.start();
  sys = new FakeSystem();
  server.transact([{ op: 'insert', table: 'Storage', row: { name: 'data', target_iqn: IQN, portal: '192.0.2.10', lun: 1, mount_point: MP, fstype: 'ext4' } }]);
});
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
  await server.dispose();
  rmSync(path.dirname(MP), { recursive: true, force: true });
});

const agent = () => storageAgent({ runner: sys, probe: sys, deviceWaitMs: 300, intervalMs: 60_000 });

it('--dry-run prints discovery, login and mount and runs nothing', async () => {
  const { runtime: r, lines } = await startAgent(agent(), server.remote, true);
  await r.stop();
  expect(lines.filter((l) => l.startsWith('plan: '))).toEqual([
    'plan: iscsiadm -m discovery -t sendtargets -p 192.0.2.10',
    `plan: iscsiadm -m node -T ${IQN} -p 192.0.2.10 --login`,
    `plan: mkdir -p ${MP}`,
    `plan: mount -t ext4 -- ${DEV} ${MP}`,
  ]);
  expect(sys.calls).toEqual([]);
});

it('logs in, waits for the LUN, mounts, reports status; idempotent; unmounts and logs out on delete', async () => {
  ({ runtime } = await startAgent(agent(), server.remote));
  await until('mounted status', () => row().status === 'mounted');
  expect(row().device).toBe(DEV);
  expect(sys.calls).toEqual([
    'iscsiadm -m discovery -t sendtargets -p 192.0.2.10',
    `iscsiadm -m node -T ${IQN} -p 192.0.2.10 --login`,
    `mount -t ext4 -- ${DEV} ${MP}`,
  ]);
  runtime.kick();
  await runtime.settle();
  expect(sys.calls).toHaveLength(3);

  server.transact([{ op: 'delete', table: 'Storage', where: [] }]);
  await until('torn down', () => sys.calls.length === 5);
  expect(sys.calls.slice(3)).toEqual([`umount -- ${MP}`, `iscsiadm -m node -T ${IQN} -p 192.0.2.10 --logout`]);
});

const LOGIN_FAILED = `error: iscsiadm -m node -T ${IQN} -p 192.0.2.10 --login exited 24: iscsiadm: Login failed: authorization failure`;

it('reports a failed login as an error with the reason and does not mount', async () => {
  sys.failLogin = true;
  ({ runtime } = await startAgent(agent(), server.remote));
  await until('error status', () => row().status === LOGIN_FAILED);
  expect(sys.calls.some((c) => c.startsWith('mount'))).toBe(false);
});

it('a LUN that never appears and a failed mount are errors with the reason', async () => {
  sys.noDevice = true;
  ({ runtime } = await startAgent(agent(), server.remote));
  await until('device error', () => row().status === `error: logged in, but ${DEV} did not appear within 0.3 s`);
  sys.noDevice = false;
  sys.devices.add(DEV);
  sys.failMount = true;
  runtime.kick();
  await until(
    'mount error',
    () => row().status === `error: mount -t ext4 -- ${DEV} ${MP} exited 32: mount: ${MP}: wrong fs type, bad option, bad superblock on ${DEV}`,
  );
  expect(row().device).toBe(DEV);
});

it('a mount point with spaces is seen as mounted (/proc/mounts writes it as \\040): mounted once, not every pass', async () => {
  const spaced = path.join(path.dirname(MP), 'my data');
  server.transact([{ op: 'update', table: 'Storage', where: [], row: { mount_point: spaced } }]);
  ({ runtime } = await startAgent(agent(), server.remote));
  await until('mounted status', () => row().status === 'mounted');
  expect(sys.mounts()).toContain('my\\040data');
  runtime.kick();
  await runtime.settle();
  runtime.kick();
  await runtime.settle();
  expect(sys.calls.filter((c) => c.startsWith('mount'))).toEqual([`mount -t ext4 -- ${DEV} ${spaced}`]);
});

it('values written past the CLI are checked again: a bad fstype runs nothing, the status says why, the journal says it once', async () => {
  server.transact([{ op: 'update', table: 'Storage', where: [], row: { fstype: '-oremount,exec' } }]);
  let lines: string[];
  ({ runtime, lines } = await startAgent(agent(), server.remote));
  await until('error status', () => row().status === 'error: fstype "-oremount,exec" rejected: expected a file system type such as ext4');
  for (let i = 0; i < 3; i++) {
    runtime.kick();
    await runtime.settle();
  }
  expect(lines.filter((l) => l.includes('"msg":"value rejected"'))).toHaveLength(1);
  expect(sys.calls).toEqual([]);
  // the row deleted and written again with the same value: a new refusal, logged again
  const [bad] = (server.transact([{ op: 'select', table: 'Storage', where: [] }]) as [{ rows: Record<string, unknown>[] }])[0].rows;
  const { _uuid, _version, status, device, ...config } = bad;
  void [_uuid, _version, status, device];
  server.transact([{ op: 'delete', table: 'Storage', where: [] }]);
  // the delete's monitor update reaches the agent (else it and the insert may merge into a modify)
  await new Promise((r) => setTimeout(r, 500));
  runtime.kick();
  await runtime.settle();
  server.transact([{ op: 'insert', table: 'Storage', row: config }]);
  await until('logged again', () => lines.filter((l) => l.includes('"msg":"value rejected"')).length === 2);
});

it('sysdb apply --wait returns when the agent has reported: the new status, exit 0', async () => {
  ({ runtime } = await startAgent(agent(), server.remote));
  await until('mounted status', () => row().status === 'mounted');
  const file = path.join(server.dir, 'state.json');
  const other = `${path.dirname(MP)}/other`;
  writeFileSync(file, JSON.stringify({ storage: { data: { target_iqn: IQN, portal: '192.0.2.10', lun: 1, mount_point: other, fstype: 'ext4' } } }));
  const out: string[] = [];
  const code = await runSysdb(['--remote', server.remote, 'apply', file, '--wait'], { out: (l) => out.push(l), err: (l) => out.push(l) });
  expect(out.join('\n')).toMatch(/~ storage data: mount_point .* -> .*other\napplied 1 change\(s\) \(audit entry 1\)\nstorage data: mounted$/);
  expect(code).toBe(0);
  expect(sys.mounted.has(other)).toBe(true);
  sys.failLogin = true;
  sys.sessions.clear();
  writeFileSync(
    file,
    JSON.stringify({ storage: { data: { target_iqn: 'iqn.2003-01.org.example:disk2', portal: '192.0.2.10', lun: 1, mount_point: other, fstype: 'ext4' } } }),
  );
  const failed: string[] = [];
  expect(await runSysdb(['--remote', server.remote, 'apply', file, '--wait'], { out: (l) => failed.push(l), err: (l) => failed.push(l) })).toBe(1);
  expect(failed.at(-1)).toBe(`storage data: ${LOGIN_FAILED.replace(IQN, 'iqn.2003-01.org.example:disk2')}`);
});
