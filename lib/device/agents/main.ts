import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ANCHOR_FILE } from '../cli/audit-verbs.js';
import { DEFAULT_REMOTE } from '../cli/sysdb-main.js';
import { auditAgent } from './audit-agent.js';
import { containerAgent } from './container-agent.js';
import { processRuntime, systemdRuntime } from './container-runtime.js';
import { storeDir } from '../containers/image-store.js';
import type { Agent } from './agent-runtime.js';
import { AgentRuntime } from './agent-runtime.js';
import { execRunner } from './command-runner.js';
import { jsonLogger } from './log.js';
import { netAgent } from './net-agent.js';
import { defaultKvm } from './qemu-command.js';
import { statAgent } from './stat-agent.js';
import { storageAgent } from './storage-agent.js';
import { userAgent } from './user-agent.js';
import { vmAgent } from './vm-agent.js';
import { startWatchdog, systemdNotifier } from './watchdog.js';

const USAGE = `usage: stalker-agent net|storage|vm|container|stat|audit|user [--remote R] [--dry-run]
  audit: [--anchor /var/lib/sysdb/audit-head]
  net:  [--root /] [--ovs-db unix:/var/run/openvswitch/db.sock] [--datapath system|netdev] [--bridge br0]
        [--state /run/stalker/net-addresses.json]
  user: [--root /]
  vm:   [--qemu qemu-system-aarch64] [--cgroup DIR | systemd vm.slice when systemd runs] [--console-dir /run/stalker/vm] [--no-tap]
  container: [--images /var/lib/stalker/images] [--ovs-db ...] (systemd-run in container.slice when systemd runs)`;

function build(name: string, o: Record<string, string | boolean | undefined>): Agent {
  const runner = execRunner();
  switch (name) {
    case 'net': {
      const systemd = existsSync('/run/systemd/system');
      return netAgent({
        runner,
        root: String(o.root ?? '/'),
        ovsDb: o['ovs-db'] as string | undefined,
        datapath: o.datapath === 'netdev' ? 'netdev' : 'system',
        bridge: o.bridge as string | undefined,
        stateFile: String(o.state ?? '/run/stalker/net-addresses.json'),
        reload: systemd ? { networkd: ['networkctl', 'reload'], resolved: ['systemctl', 'try-reload-or-restart', 'systemd-resolved.service'] } : undefined,
      });
    }
    case 'storage':
      return storageAgent({ runner });
    case 'vm': {
      const qemu = String(o.qemu ?? 'qemu-system-aarch64');
      const placement = o.cgroup
        ? { kind: 'cgroupfs' as const, dir: String(o.cgroup) }
        : existsSync('/run/systemd/system')
          ? { kind: 'systemd' as const, slice: 'vm.slice' }
          : { kind: 'none' as const };
      return vmAgent({ qemu, kvm: defaultKvm(qemu), tap: !o['no-tap'], consoleDir: String(o['console-dir'] ?? '/run/stalker/vm'), placement });
    }
    case 'container': {
      const systemd = existsSync('/run/systemd/system');
      return containerAgent({
        runner,
        systemd,
        runtime: systemd ? systemdRuntime(runner) : processRuntime({ runDir: '/run/stalker/ct' }),
        store: String(o.images ?? storeDir()),
        ovsDb: o['ovs-db'] as string | undefined,
      });
    }
    case 'stat':
      return statAgent();
    case 'user':
      return userAgent({ runner, root: String(o.root ?? '/'), reload: existsSync('/run/systemd/system') ? ['systemctl', 'reload', 'ssh.service'] : undefined });
    case 'audit':
      return auditAgent({ anchorFile: String(o.anchor ?? ANCHOR_FILE) });
    default:
      throw new Error(`unknown agent "${name}"\n${USAGE}`);
  }
}

async function main(): Promise<number> {
  const { values: o, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      remote: { type: 'string' },
      'dry-run': { type: 'boolean' },
      root: { type: 'string' },
      'ovs-db': { type: 'string' },
      datapath: { type: 'string' },
      bridge: { type: 'string' },
      state: { type: 'string' },
      qemu: { type: 'string' },
      cgroup: { type: 'string' },
      'console-dir': { type: 'string' },
      'no-tap': { type: 'boolean' },
      anchor: { type: 'string' },
      images: { type: 'string' },
    },
  });
  if (positionals.length !== 1) {
    console.error(USAGE);
    return 2;
  }
  const agent = build(positionals[0], o);
  const dryRun = !!o['dry-run'];
  const runtime = new AgentRuntime(agent, { remote: o.remote ?? process.env.SYSDB_REMOTE ?? DEFAULT_REMOTE, dryRun, log: jsonLogger(agent.name) });
  await runtime.start();
  if (dryRun) {
    await runtime.stop();
    return 0;
  }
  const dog = startWatchdog(() => runtime.healthy(), systemdNotifier);
  await new Promise<void>((resolve) => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => resolve());
  });
  clearInterval(dog);
  await runtime.stop();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error) => {
    console.error(`stalker-agent: ${e.message}`);
    process.exitCode = 1;
  },
);
