// A second Docker engine on this machine: its own data root, exec root, pidfile and unix socket,
// its own bridge and no iptables rules, so it touches nothing of the main daemon's. Not
// --bridge=none: a daemon started so deletes the interface named docker0 (moby's
// removeDefaultBridgeInterface), the main daemon's, and its bridge-network containers then fail.
// Started and stopped by the tests that need a "second machine".
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../../lib/engine/engine-port.js';
import { openEngine } from '../../lib/engine/open-engine.js';

export interface SecondEngine {
  host: string; // unix://...
  engine: Engine;
  stop(): Promise<void>;
  /** Sudden death (SIGKILL): the engine stops answering mid-call, as a crashed or unplugged host's. */
  kill(): Promise<void>;
  /** Starts the daemon again on the same data root, socket and bridge (after stop or kill). */
  restart(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function startDockerd(name: string): Promise<SecondEngine> {
  // Under /tmp with a short name: unix socket paths are limited to ~107 bytes.
  const dir = mkdtempSync(join('/tmp', `stalker-${name}-`));
  const host = `unix://${join(dir, 'docker.sock')}`;
  const bridge = `stk${dir.slice(-6).replace(/[^A-Za-z0-9]/g, 'x')}`; // at most 15 characters (IFNAMSIZ)
  const ip = (...args: string[]) => spawnSync('ip', args, { stdio: 'ignore' }).status;
  if (ip('link', 'add', bridge, 'type', 'bridge') !== 0) throw new Error(`ip link add ${bridge} type bridge failed`);
  const spawnDaemon = (): ChildProcess =>
    spawn(
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
  let child = spawnDaemon();
  const engine = openEngine({ ...process.env, STALKER_ENGINE: 'docker' }, host);
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await gone;
  };
  const stop = () => end('SIGTERM');
  const answering = async (): Promise<boolean> => {
    for (let i = 0; i < 150; i++) {
      if (child.exitCode !== null) return false;
      if (
        await engine.ping().then(
          () => true,
          () => false,
        )
      )
        return true;
      await new Promise((r) => setTimeout(r, 200));
    }
    return false;
  };
  if (await answering()) {
    const cleanup = async () => {
      await stop();
      // A killed daemon's containerd (started by it, so ours) outlives it unless a restarted daemon took it over.
      await endContainerd(join(dir, 'exec', 'containerd', 'containerd.pid'));
      endShims(join(dir, 'exec', 'containerd', 'containerd.sock'));
      // dockerd leaves its default netns bind-mounted under the exec root (and a killed one its overlays).
      for (const m of mountsUnder(dir)) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
      ip('link', 'del', bridge);
      rmSync(dir, { recursive: true, force: true });
    };
    const restart = async () => {
      await end('SIGTERM');
      child = spawnDaemon();
      if (!(await answering())) throw new Error(`dockerd ${name} did not answer again on ${host}`);
    };
    return { host, engine, stop, kill: () => end('SIGKILL'), restart, cleanup };
  }
  await stop();
  ip('link', 'del', bridge);
  throw new Error(`dockerd ${name} did not answer on ${host} (exit ${child.exitCode})`);
}

async function endContainerd(pidFile: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return;
  }
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!pid || !alive()) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 200));
}

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m) => m?.startsWith(`${dir}/`))
    .sort()
    .reverse();
}

/** Container shims of our containerd (a killed daemon's containers): found by the socket they were given. */
function endShims(socket: string): void {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(socket)) process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}
