import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { jest } from '@jest/globals';
import path from 'node:path';
import { startAgent } from './helpers/agents.js';
import { until } from './helpers/ovsdb-server.js';
import { bundleAgent } from './helpers/bundle.js';
import { VmFixture } from './helpers/vm-fixture.js';
import { pidAlive } from '../support/pid-alive.js';

jest.setTimeout(30_000);

const f = new VmFixture();
beforeEach(() => f.setUp());
afterEach(() => f.tearDown());

const vmRow = () => f.row('vm1');
const setState = (state: string) => f.update('vm1', { state });

it('--dry-run prints the qemu command and starts nothing', async () => {
  let lines: string[];
  ({ runtime: f.runtime, lines } = await startAgent(f.agent(), f.server.remote, true));
  expect(lines.filter((l) => l.startsWith('plan:'))).toEqual([
    expect.stringMatching(/^plan: start vm vm1: qemu-system-aarch64 -name guest=vm1.* -accel tcg .*-smp 1 -m 32 .*-kernel /),
  ]);
  expect(vmRow().pid).toEqual(['set', []]);
});

it('starts a real qemu in the VM cgroup (starting, then running once it stayed up), restarts it after a crash, stops it on state=stop', async () => {
  let lines: string[];
  ({ runtime: f.runtime, lines } = await startAgent(f.agent({ settleMs: 1500 }), f.server.remote));
  expect(lines).toContain('agent vm ready');
  const pid = await until('vm starting', () => vmRow().status === 'starting' && (vmRow().pid as number));
  f.pids.add(pid);
  const t0 = Date.now();
  await until('vm running', () => vmRow().status === 'running');
  expect(Date.now() - t0).toBeGreaterThan(1000);
  expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toMatch(/^qemu-system-aarch64\0-name\0guest=vm1/);
  expect(readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toContain(`0::/${path.basename(f.cgroup)}`);

  process.kill(pid, 'SIGKILL');
  const second = await until('restarted after crash', () => {
    const r = vmRow();
    return r.pid !== pid && r.restarts === 1 && (r.pid as number);
  });
  f.pids.add(second);
  // It had settled, so the crash is the first of a new count: the shortest delay.
  expect(lines.filter((l) => l.includes('"msg":"vm crashed"'))).toEqual([expect.stringMatching(/"reason":"killed by SIGKILL".*"retryInMs":100/)]);
  await until('running again', () => vmRow().status === 'running');

  setState('stop');
  await until('stopped', () => vmRow().status === 'stopped' && !pidAlive(second));
  expect(vmRow().pid).toEqual(['set', []]);
});

const qemuPids = () =>
  execFileSync('pgrep', ['-f', `process=stalker-vm-vm1`], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('qemu'));
const pgrepSafe = () => {
  try {
    return qemuPids();
  } catch {
    return [];
  }
};

describe('stopping the agent (issue 9)', () => {
  it('the real agent process exits promptly on SIGTERM while a VM runs, leaving the VM for the next agent to adopt', async () => {
    const agentBundle = bundleAgent();
    const child = spawn('node', [agentBundle, 'vm', '--remote', f.server.remote, '--cgroup', f.cgroup, '--console-dir', f.consoleDir, '--no-tap'], {
      stdio: 'ignore',
    });
    // The bundled agent settles for its default 10 s; the pid is written at launch.
    const pid = await until('vm started', () => vmRow().status === 'starting' && (vmRow().pid as number), 15_000);
    f.pids.add(pid);
    const t0 = Date.now();
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 8000))]);
    if (code === 'hung') child.kill('SIGKILL');
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(pidAlive(pid)).toBe(true);
    // the next agent adopts it instead of starting a second one
    let lines: string[];
    ({ runtime: f.runtime, lines } = await startAgent(f.agent({ settleMs: 3000 }), f.server.remote));
    expect(lines.some((l) => l.includes('"msg":"adopted running vm"') && l.includes(`"pid":${pid}`))).toBe(true);
    await until('adopted vm running', () => vmRow().status === 'running', 5000);
    expect(pgrepSafe()).toEqual([pid]);
    expect(vmRow().pid).toBe(pid);
  });

  it('a stopped agent never starts a new loop: a VM that dies afterwards is not relaunched', async () => {
    ({ runtime: f.runtime } = await startAgent(f.agent(), f.server.remote));
    const pid = await until('vm started', () => vmRow().pid as number);
    f.pids.add(pid);
    await f.runtime.stop();
    f.runtime = undefined;
    setState('stop');
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 1500));
    expect(pgrepSafe()).toEqual([]);
  });

  it('values written past the CLI are checked again: a bad VM name or disk path starts no qemu; the status says why, the journal says it once', async () => {
    f.server.transact([
      { op: 'delete', table: 'VirtualMachine', where: [] },
      { op: 'insert', table: 'VirtualMachine', row: { name: 'evil,debug-threads=on', id: 8, vcpus: 1, memory: 32, state: 'run', kernel: f.file('wfi.bin') } },
      { op: 'insert', table: 'VirtualMachine', row: { name: 'vm2', id: 9, vcpus: 1, memory: 32, state: 'run', kernel: f.file('wfi.bin'), disk: 'disk.raw' } },
    ]);
    let lines: string[];
    ({ runtime: f.runtime, lines } = await startAgent(f.agent(), f.server.remote));
    await until('both in error', () => f.rows().every((r) => typeof r.status === 'string' && r.status.startsWith('error: ')));
    for (let i = 0; i < 3; i++) {
      f.runtime.kick();
      await f.runtime.settle();
    }
    expect(f.row('evil,debug-threads=on').status).toBe(
      'error: name "evil,debug-threads=on" rejected: expected a VM name (1-32 of A-Z a-z 0-9 _ . -, starting with a letter or digit)',
    );
    expect(f.row('vm2').status).toMatch(/^error: disk "disk.raw" rejected: expected an absolute, normalised path/);
    const rejected = lines.filter((l) => l.includes('"msg":"value rejected"'));
    expect(rejected).toHaveLength(2);
    expect(rejected).toEqual(
      expect.arrayContaining([expect.stringContaining('"row":"evil,debug-threads=on"'), expect.stringMatching(/"row":"vm2".*disk \\"disk.raw\\" rejected/)]),
    );
    expect(lines.some((l) => l.includes('start vm'))).toBe(false);
  });

  it('a disk path with commas reaches qemu escaped: the file of that exact name is opened', async () => {
    const disk = f.file('d.raw,snapshot=on,file.locking=off');
    writeFileSync(disk, Buffer.alloc(1024 * 1024));
    f.update('vm1', { disk });
    ({ runtime: f.runtime } = await startAgent(f.agent(), f.server.remote));
    const pid = await until('vm started', () => vmRow().pid as number);
    f.pids.add(pid);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain(`file=${disk.replaceAll(',', ',,')},if=virtio,format=raw`);
    // qemu holds the file of that exact name open
    const open = () =>
      readdirSync(`/proc/${pid}/fd`).map((fd) => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return '';
        }
      });
    await until('disk open', () => open().includes(disk));
  });
});
