// A second Docker engine on this machine: its own data root, exec root, pidfile and unix socket,
// its own bridge and no iptables rules, so it touches nothing of the main daemon's. Not
// --bridge=none: a daemon started so deletes the interface named docker0 (moby's
// removeDefaultBridgeInterface), the main daemon's, and its bridge-network containers then fail.
// Started and stopped by the tests that need a "second machine".
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../../lib/engine/engine-port.js';
import { openEngine } from '../../lib/engine/open-engine.js';

export interface SecondEngine {
  host: string; // unix://...
  engine: Engine;
  stop(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function startDockerd(name: string): Promise<SecondEngine> {
  // Under /tmp with a short name: unix socket paths are limited to ~107 bytes.
  const dir = mkdtempSync(join('/tmp', `stalker-${name}-`));
  const host = `unix://${join(dir, 'docker.sock')}`;
  const bridge = `stk${dir.slice(-6).replace(/[^A-Za-z0-9]/g, 'x')}`; // at most 15 characters (IFNAMSIZ)
  const ip = (...args: string[]) => spawnSync('ip', args, { stdio: 'ignore' }).status;
  if (ip('link', 'add', bridge, 'type', 'bridge') !== 0) throw new Error(`ip link add ${bridge} type bridge failed`);
  const child: ChildProcess = spawn(
    '/usr/sbin/dockerd',
    [
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'docker.pid'),
      '-H',
      host,
      `--bridge=${bridge}`,
      '--iptables=false',
      '--ip6tables=false',
      '--log-level=error',
    ],
    { stdio: 'ignore' },
  );
  const engine = openEngine({ ...process.env, STALKER_ENGINE: 'docker' }, host);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  };
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) {
      ip('link', 'del', bridge);
      throw new Error(`dockerd ${name} exited with ${child.exitCode}`);
    }
    if (
      await engine.ping().then(
        () => true,
        () => false,
      )
    ) {
      const cleanup = async () => {
        await stop();
        // dockerd leaves its default netns bind-mounted under the exec root.
        spawnSync('umount', ['-l', join(dir, 'exec', 'netns', 'default')], { stdio: 'ignore' });
        ip('link', 'del', bridge);
        rmSync(dir, { recursive: true, force: true });
      };
      return { host, engine, stop, cleanup };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  ip('link', 'del', bridge);
  throw new Error(`dockerd ${name} did not answer on ${host}`);
}
