// What the VM agent tests share: a private ovsdb-server with a row vm1 (state run, the idle guest),
// a private cgroup the agent puts its qemu processes in, and clean-up of each of them by pid.
import { existsSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AgentRuntime } from '../../../lib/device/agents/agent-runtime.js';
import { vmAgent, type VmAgentOptions } from '../../../lib/device/agents/vm-agent.js';
import { pidAlive } from '../../support/pid-alive.js';
import { OvsdbServer, until } from './ovsdb-server.js';
import { POWEROFF_AFTER_1S_KERNEL, WFI_KERNEL } from './vm-guests.js';

export type VmRow = Record<string, unknown>;

export class VmFixture {
  server!: OvsdbServer;
  runtime: AgentRuntime | undefined;
  readonly pids = new Set<number>();
  readonly cgroup = `/sys/fs/cgroup/unified/stalker-test-vm-${process.pid}.slice`;

  async setUp(): Promise<void> {
    this.server = new OvsdbServer();
    await this.server.start();
    writeFileSync(this.file('wfi.bin'), WFI_KERNEL);
    writeFileSync(this.file('poweroff.bin'), POWEROFF_AFTER_1S_KERNEL);
    this.server.transact([
      { op: 'insert', table: 'VirtualMachine', row: { name: 'vm1', id: 7, vcpus: 1, memory: 32, state: 'run', kernel: this.file('wfi.bin') } },
    ]);
  }

  async tearDown(): Promise<void> {
    await this.runtime?.stop();
    this.runtime = undefined;
    const inCgroup = () =>
      existsSync(this.cgroup) ? readFileSync(path.join(this.cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number) : [];
    try {
      for (const pid of new Set([...this.pids, ...inCgroup()])) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
      // A killed process leaves the cgroup a moment after it is gone from cgroup.procs (rmdir: EBUSY).
      await until(
        'VM cgroup removed',
        () => {
          if (existsSync(this.cgroup)) rmdirSync(this.cgroup);
          return true;
        },
        5000,
      );
    } finally {
      await this.server.dispose();
    }
  }

  file(name: string): string {
    return path.join(this.server.dir, name);
  }

  get consoleDir(): string {
    return this.file('console');
  }

  rows(): VmRow[] {
    return (this.server.transact([{ op: 'select', table: 'VirtualMachine', where: [] }]) as [{ rows: VmRow[] }])[0].rows;
  }

  row(name = 'vm1'): VmRow {
    return this.rows().find((r) => r.name === name)!;
  }

  update(name: string, row: VmRow): void {
    this.server.transact([{ op: 'update', table: 'VirtualMachine', where: [['name', '==', name]], row }]);
  }

  /** The agent with test timings (run it with startAgent and keep its runtime in this.runtime). */
  agent(over: Partial<VmAgentOptions> = {}) {
    return vmAgent({
      qemu: 'qemu-system-aarch64',
      kvm: false,
      tap: false,
      consoleDir: this.consoleDir,
      placement: { kind: 'cgroupfs', dir: this.cgroup },
      backoffMs: { min: 100, max: 400 },
      settleMs: 1000,
      stopTimeoutMs: 2000,
      ...over,
    });
  }
}
