// Issue 26: VM failures as a user meets them. Before launch the kernel and disk are checked (an
// error with the reason, no restart loop); QEMU's output is kept and its last line is the crash
// reason; short-lived runs back off and are given up on; `apply --wait` waits for a stable state.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { jest } from '@jest/globals';
import { startAgent } from './helpers/agents.js';
import { until } from './helpers/ovsdb-server.js';
import { sysdbOn } from './helpers/sysdb-in-process.js';
import { VmFixture } from './helpers/vm-fixture.js';

jest.setTimeout(30_000);

const f = new VmFixture();
beforeEach(() => f.setUp());
afterEach(() => f.tearDown());

const starts = (lines: string[]) => lines.filter((l) => l.includes('start vm vm1')).length;
const quiet = async (ms: number) => new Promise((r) => setTimeout(r, ms));

it('a missing disk is an error with the reason, checked before launch and again each pass, logged once; once it exists the VM runs', async () => {
  const disk = f.file('disks/vm1.raw');
  f.update('vm1', { disk });
  let lines: string[];
  ({ runtime: f.runtime, lines } = await startAgent(f.agent(), f.server.remote));
  await until('error status', () => f.row().status === `error: disk ${disk}: no such file`);
  for (let i = 0; i < 3; i++) {
    f.runtime.kick();
    await f.runtime.settle();
  }
  expect(f.row().status).toBe(`error: disk ${disk}: no such file`);
  expect(starts(lines)).toBe(0);
  expect(lines.filter((l) => l.includes('"msg":"vm not started"'))).toHaveLength(1);

  writeFileSync(f.file('disk.tmp'), Buffer.alloc(1 << 20));
  mkdirSync(f.file('disks'));
  renameSync(f.file('disk.tmp'), disk);
  const pid = await until('running once the disk exists', () => f.row().status === 'running' && (f.row().pid as number), 10_000);
  f.pids.add(pid);
  expect(starts(lines)).toBe(1);
});

it("QEMU's output is kept and gives the reason; after maxCrashes short runs the agent gives up until the row changes", async () => {
  const disk = f.file('bad.qcow2');
  writeFileSync(disk, Buffer.alloc(65536));
  f.update('vm1', { disk });
  const qemuSays = `qemu-system-aarch64: -drive file=${disk},if=virtio,format=qcow2: Image is not in qcow2 format`;
  let lines: string[];
  ({ runtime: f.runtime, lines } = await startAgent(f.agent({ maxCrashes: 3, backoffMs: { min: 600, max: 1200 } }), f.server.remote));

  await until('first crash', () => f.row().status === `crashed: ${qemuSays} (restart 1 in 0.6 s)`);
  await until('given up', () => f.row().status === `failed: ${qemuSays} (gave up after 3 crashes)`);
  expect(readFileSync(f.file('console/vm1.log'), 'utf8')).toContain(qemuSays);
  expect(lines.filter((l) => l.includes('"msg":"vm crashed"'))).toEqual([expect.stringContaining(`"reason":${JSON.stringify(qemuSays)}`), expect.any(String)]);
  expect(f.row().restarts).toBe(2);
  await quiet(2000);
  expect(starts(lines)).toBe(3);
  expect(f.row().status).toMatch(/^failed: /);

  // A change of the row (any sysdb write) is tried afresh.
  const good = f.file('good.raw');
  writeFileSync(good, Buffer.alloc(1 << 20));
  expect((await sysdbOn(f.server.remote, ['set', 'vm', 'vm1', 'disk', good])).code).toBe(0);
  const pid = await until('running after the fix', () => f.row().status === 'running' && (f.row().pid as number), 10_000);
  f.pids.add(pid);
  expect(starts(lines)).toBe(4);
});

it('stop then run tries a given-up VM again', async () => {
  f.update('vm1', { kernel: f.file('poweroff.bin') });
  let lines: string[];
  ({ runtime: f.runtime, lines } = await startAgent(f.agent({ maxCrashes: 1, settleMs: 5000 }), f.server.remote));
  await until('given up', () => f.row().status === 'failed: the guest powered off (qemu exited with code 0) (gave up after 1 crash)', 10_000);
  f.update('vm1', { state: 'stop' });
  await until('stopped', () => f.row().status === 'stopped');
  f.update('vm1', { state: 'run' });
  await until('started again', () => starts(lines) === 2 && f.row().status === 'starting');
});

it('apply --wait waits for a stable state: a VM that dies a second after launch is crashed, exit 1; one that stays up is running', async () => {
  f.update('vm1', { state: 'stop' });
  ({ runtime: f.runtime } = await startAgent(f.agent({ settleMs: 3000, backoffMs: { min: 5000, max: 5000 } }), f.server.remote));
  await until('stopped', () => f.row().status === 'stopped');
  const state = {
    vm: {
      vm1: { id: 7, vcpus: 1, memory: 32, state: 'run', kernel: f.file('poweroff.bin') },
      vm2: { id: 8, vcpus: 1, memory: 32, state: 'run', kernel: f.file('wfi.bin') },
    },
  };
  writeFileSync(f.file('state.json'), JSON.stringify(state));
  const t0 = Date.now();
  const r = await sysdbOn(f.server.remote, ['apply', f.file('state.json'), '--wait']);
  expect(r.out.split('\n')).toEqual(
    expect.arrayContaining(['vm vm1: crashed: the guest powered off (qemu exited with code 0) (restart 1 in 5 s)', 'vm vm2: running']),
  );
  expect(r.code).toBe(1);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(3000);
  f.pids.add(f.row('vm2').pid as number);
});
