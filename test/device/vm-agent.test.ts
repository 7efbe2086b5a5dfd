import { readFileSync, rmdirSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { AgentRuntime } from '../../lib/device/agents/agent-runtime.js';
import { vmAgent } from '../../lib/device/agents/vm-agent.js';
import { OvsdbServer, until } from './helpers/ovsdb-server.js';
import { startAgent } from './helpers/agents.js';

// aarch64 "wfi; b ." : a guest that idles forever, so the real qemu process costs no CPU.
const WFI_KERNEL = Buffer.from([0x7f, 0x20, 0x03, 0xd5, 0xff, 0xff, 0xff, 0x17]);
const CGROUP = `/sys/fs/cgroup/unified/stalker-test-vm-${process.pid}.slice`;

let server: OvsdbServer;
let runtime: AgentRuntime | undefined;
const pids = new Set<number>();

const vmRow = () => ((server.transact([{ op: 'select', table: 'VirtualMachine', where: [['name', '==', 'vm1']] }]) as [{ rows: Record<string, unknown>[] }])[0].rows[0]);
const setState = (state: string) => server.transact([{ op: 'update', table: 'VirtualMachine', where: [['name', '==', 'vm1']], row: { state } }]);
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

beforeEach(async () => {
  server = new OvsdbServer();
  await server.start();
  writeFileSync(path.join(server.dir, 'wfi.bin'), WFI_KERNEL);
  server.transact([{ op: 'insert', table: 'VirtualMachine', row: { name: 'vm1', id: 7, vcpus: 1, memory: 32, state: 'run', kernel: path.join(server.dir, 'wfi.bin') } }]);
});
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 100));
  if (existsSync(CGROUP)) rmdirSync(CGROUP);
  await server.dispose();
});

function agent() {
  return vmAgent({ qemu: 'qemu-system-aarch64', kvm: false, tap: false, consoleDir: path.join(server.dir, 'console'), placement: { kind: 'cgroupfs', dir: CGROUP }, backoffMs: { min: 100, max: 400 }, stopTimeoutMs: 2000 });
}

it('--dry-run prints the qemu command and starts nothing', async () => {
  let lines: string[];
  ({ runtime, lines } = await startAgent(agent(), server.remote, true));
  expect(lines.filter((l) => l.startsWith('plan:'))).toEqual([expect.stringMatching(/^plan: start vm vm1: qemu-system-aarch64 -name guest=vm1.* -accel tcg .*-smp 1 -m 32 .*-kernel /)]);
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
  const second = await until('restarted after crash', () => { const r = vmRow(); return r.status === 'running' && r.pid !== pid && r.restarts === 1 && (r.pid as number); });
  pids.add(second);
  expect(lines.some((l) => l.includes('"msg":"vm crashed"'))).toBe(true);

  setState('stop');
  await until('stopped', () => vmRow().status === 'stopped' && !alive(second));
  expect(vmRow().pid).toEqual(['set', []]);
});
