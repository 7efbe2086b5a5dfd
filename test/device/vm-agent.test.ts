import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, rmdirSync, writeFileSync, existsSync } from 'node:fs';
import { jest } from '@jest/globals';
import path from 'node:path';
import type { AgentRuntime } from '../../lib/device/agents/agent-runtime.js';
import { vmAgent } from '../../lib/device/agents/vm-agent.js';
import { OvsdbServer, until } from './helpers/ovsdb-server.js';
import { startAgent } from './helpers/agents.js';
import { bundleAgent } from './helpers/bundle.js';
import { pidAlive } from '../support/pid-alive.js';

jest.setTimeout(30_000);

// aarch64 "wfi; b ." : a guest that idles forever, so the real qemu process costs no CPU.
const WFI_KERNEL = Buffer.from([0x7f, 0x20, 0x03, 0xd5, 0xff, 0xff, 0xff, 0x17]);
const CGROUP = `/sys/fs/cgroup/unified/stalker-test-vm-${process.pid}.slice`;

let server: OvsdbServer;
let runtime: AgentRuntime | undefined;
const pids = new Set<number>();

const vmRow = () =>
  (server.transact([{ op: 'select', table: 'VirtualMachine', where: [['name', '==', 'vm1']] }]) as [{ rows: Record<string, unknown>[] }])[0].rows[0];
const setState = (state: string) => server.transact([{ op: 'update', table: 'VirtualMachine', where: [['name', '==', 'vm1']], row: { state } }]);

beforeEach(async () => {
  server = new OvsdbServer();
  await server.start();
  writeFileSync(path.join(server.dir, 'wfi.bin'), WFI_KERNEL);
  server.transact([
    { op: 'insert', table: 'VirtualMachine', row: { name: 'vm1', id: 7, vcpus: 1, memory: 32, state: 'run', kernel: path.join(server.dir, 'wfi.bin') } },
  ]);
});
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
  for (const pid of pids) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 100));
  if (existsSync(CGROUP)) rmdirSync(CGROUP);
  await server.dispose();
});

function agent() {
  return vmAgent({
    qemu: 'qemu-system-aarch64',
    kvm: false,
    tap: false,
    consoleDir: path.join(server.dir, 'console'),
    placement: { kind: 'cgroupfs', dir: CGROUP },
    backoffMs: { min: 100, max: 400 },
    stopTimeoutMs: 2000,
  });
}

it('--dry-run prints the qemu command and starts nothing', async () => {
  let lines: string[];
  ({ runtime, lines } = await startAgent(agent(), server.remote, true));
  expect(lines.filter((l) => l.startsWith('plan:'))).toEqual([
    expect.stringMatching(/^plan: start vm vm1: qemu-system-aarch64 -name guest=vm1.* -accel tcg .*-smp 1 -m 32 .*-kernel /),
  ]);
  expect(vmRow().pid).toEqual(['set', []]);
});

it('starts a real qemu in the VM cgroup, restarts it after a crash, stops it on state=stop', async () => {
  let lines: string[];
  ({ runtime, lines } = await startAgent(agent(), server.remote));
  expect(lines).toContain('agent vm ready');
  const pid = await until('vm running', () => vmRow().status === 'running' && (vmRow().pid as number));
  pids.add(pid);
  expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toMatch(/^qemu-system-aarch64\0-name\0guest=vm1/);
  expect(readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toContain(`0::/${path.basename(CGROUP)}`);

  process.kill(pid, 'SIGKILL');
  const second = await until('restarted after crash', () => {
    const r = vmRow();
    return r.status === 'running' && r.pid !== pid && r.restarts === 1 && (r.pid as number);
  });
  pids.add(second);
  expect(lines.some((l) => l.includes('"msg":"vm crashed"'))).toBe(true);

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
    const child = spawn(
      'node',
      [agentBundle, 'vm', '--remote', server.remote, '--cgroup', CGROUP, '--console-dir', path.join(server.dir, 'console'), '--no-tap'],
      { stdio: 'ignore' },
    );
    const pid = await until('vm running', () => vmRow().status === 'running' && (vmRow().pid as number), 15_000);
    pids.add(pid);
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
    ({ runtime, lines } = await startAgent(agent(), server.remote));
    expect(lines.some((l) => l.includes('"msg":"adopted running vm"') && l.includes(`"pid":${pid}`))).toBe(true);
    expect(pgrepSafe()).toEqual([pid]);
  });

  it('a stopped agent never starts a new loop: a VM that dies afterwards is not relaunched', async () => {
    ({ runtime } = await startAgent(agent(), server.remote));
    const pid = await until('vm running', () => vmRow().status === 'running' && (vmRow().pid as number));
    pids.add(pid);
    await runtime.stop();
    runtime = undefined;
    setState('stop');
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 1500));
    expect(pgrepSafe()).toEqual([]);
  });

  it('values written past the CLI are checked again: a bad VM name or disk path starts no qemu', async () => {
    server.transact([
      { op: 'delete', table: 'VirtualMachine', where: [] },
      {
        op: 'insert',
        table: 'VirtualMachine',
        row: { name: 'evil,debug-threads=on', id: 8, vcpus: 1, memory: 32, state: 'run', kernel: path.join(server.dir, 'wfi.bin') },
      },
      {
        op: 'insert',
        table: 'VirtualMachine',
        row: { name: 'vm2', id: 9, vcpus: 1, memory: 32, state: 'run', kernel: path.join(server.dir, 'wfi.bin'), disk: 'disk.raw' },
      },
    ]);
    let lines: string[];
    ({ runtime, lines } = await startAgent(agent(), server.remote));
    const rows = () => (server.transact([{ op: 'select', table: 'VirtualMachine', where: [] }]) as [{ rows: Record<string, unknown>[] }])[0].rows;
    await until('both in error', () => rows().every((r) => r.status === 'error'));
    expect(lines.filter((l) => l.includes('"msg":"value rejected"')).join('\n')).toMatch(
      /name \\"evil,debug-threads=on\\" rejected[\s\S]*disk \\"disk.raw\\" rejected/,
    );
    expect(lines.some((l) => l.includes('start vm'))).toBe(false);
  });

  it('a disk path with commas reaches qemu escaped: the file of that exact name is opened', async () => {
    const disk = path.join(server.dir, 'd.raw,snapshot=on,file.locking=off');
    writeFileSync(disk, Buffer.alloc(1024 * 1024));
    server.transact([{ op: 'update', table: 'VirtualMachine', where: [['name', '==', 'vm1']], row: { disk } }]);
    ({ runtime } = await startAgent(agent(), server.remote));
    const pid = await until('vm running', () => vmRow().status === 'running' && (vmRow().pid as number));
    pids.add(pid);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain(`file=${disk.replaceAll(',', ',,')},if=virtio,format=raw`);
    // qemu holds the file of that exact name open
    expect(
      readdirSync(`/proc/${pid}/fd`).map((fd) => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return '';
        }
      }),
    ).toContain(disk);
  });
});
