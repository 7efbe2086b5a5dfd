// The container half of the raspi boot test (issue 23), on the booted device: an application
// container built by trees/device-app's node, exported as an OCI layout with `stalker export --oci`,
// imported with `sysdb image import`, declared in Sysdb and run by the container agent with
// systemd-nspawn; its veth vi<id> on br0, reached from the device over the bridge, restarted after a
// kill -9, stopped on state stop and by the agent's SIGTERM; hostile values refused by the CLI and,
// written by another OVSDB client, by the agent.
import { spawnSync } from 'node:child_process';
import { eventually, guest, SSH_ARGS, sysdb } from './guest-ssh.js';

interface ContainerRow {
  name: string;
  id: number;
  status: string | null;
  pid: number | null;
  restarts: number | null;
}

export async function checkContainers(sshPort: number, ociDir: string): Promise<{ agentsRssKiB: number; agentsPssKiB: number }> {
  const sh = (command: string, timeout?: number) => guest(sshPort, command, timeout);
  const rows = () => JSON.parse(sysdb(sshPort, 'show', 'container', '--json').stdout || '[]') as ContainerRow[];
  const row = (name: string) => rows().find((r) => r.name === name);
  const set = (...args: string[]) => {
    const r = sysdb(sshPort, 'set', ...args);
    if (r.status !== 0) throw new Error(`sysdb set ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  };

  // the layout goes over as files (image import over ssh reads the device's disk), then is imported there
  const scp = spawnSync('scp', [...SSH_ARGS.split(' '), '-q', '-r', '-P', String(sshPort), ociDir, 'root@127.0.0.1:/var/tmp/app-oci'], { encoding: 'utf8' });
  if (scp.status !== 0) throw new Error(`scp exited ${scp.status}: ${scp.stderr}`);
  expect(sh('sysdb image import /var/tmp/app-oci app && sysdb image list')).toMatch(/^app\b/m);

  // the device's side of the bridge, then the container on it
  set('interface', 'br0', 'ip', '10.77.0.1/24');
  set('container', 'app', 'image', 'app');
  set('container', 'app', 'ip', '10.77.0.2/24');
  set('container', 'app', 'command', '/app/run');
  set('container', 'app', 'env', 'PORT=8080');
  set('container', 'app', 'memory', '64');
  set('container', 'app', 'state', 'run');
  const running = (await eventually('the container running', () => (row('app')?.status === 'running' ? row('app') : undefined), 180_000, 3000))!;
  expect(sh('ovs-vsctl list-ports br0').split('\n')).toContain(`vi${running.id}`);
  // over the bridge, not out of QEMU's user network (whose proxy answers any address): the net
  // agent brought br0 up for its row, so the route to the container's subnet is br0's
  expect(sh('ip -br link show br0')).toMatch(/^br0\s+(UP|UNKNOWN)/);
  expect(sh('ip route get 10.77.0.2')).toMatch(/ dev br0 /);
  await eventually('the container answering over br0', () => sh('ping -c 1 -W 3 10.77.0.2 >/dev/null && echo up || true').trim() === 'up', 60_000);
  // its HTTP service (busybox httpd on the port its env names), over TCP through the bridge
  const page = await eventually(
    'the page over br0',
    () => sh(`bash -c 'exec 3<>/dev/tcp/10.77.0.2/8080; printf "GET / HTTP/1.0\\r\\n\\r\\n" >&3; cat <&3' || true`, 30_000),
    60_000,
  );
  expect(page).toMatch(/^HTTP\/1\.[01] 200/);
  expect(page).toContain('device-app on aarch64');
  // its memory limit is systemd's: the transient unit in container.slice
  expect(sh('systemctl show -p MemoryMax -p Slice stalker-ct-app.service')).toMatch(
    /MemoryMax=67108864[\s\S]*Slice=container\.slice|Slice=container\.slice[\s\S]*MemoryMax=67108864/,
  );

  // kill -9 of its init: restarted, counted
  sh(`kill -9 ${running.pid}`);
  const again = (await eventually(
    'the restart',
    () => (row('app')?.status === 'running' && (row('app')?.restarts ?? 0) >= 1 ? row('app') : undefined),
    120_000,
    3000,
  ))!;
  expect(again.pid).not.toBe(running.pid);

  // what the agents cost with one container running (Node processes on a 1 GB board): RSS counts
  // the pages the seven share (node itself, the bundle) seven times, PSS divides them among them
  const [rss, pss] = sh(
    "for p in $(pgrep -f '[s]talker-agent.cjs'); do cat /proc/$p/smaps_rollup; done | awk '/^Rss:/ { r += $2 } /^Pss:/ { p += $2 } END { print r, p }'",
  )
    .trim()
    .split(' ')
    .map(Number);

  set('container', 'app', 'state', 'stop');
  await eventually('stopped', () => row('app')?.status === 'stopped', 60_000);
  expect(sh("pgrep -f '[s]ystemd-nspawn.*--machine=app' || echo none").trim()).toBe('none');

  // the agent's SIGTERM leaves no container behind
  set('container', 'app', 'state', 'run');
  await eventually('running again', () => row('app')?.status === 'running', 120_000, 3000);
  sh('systemctl stop stalker-agent@container.service');
  expect(sh("pgrep -f '[s]ystemd-nspawn' || echo none").trim()).toBe('none');
  expect(sh("systemctl list-units --no-legend --state=active 'stalker-ct-*' | wc -l").trim()).toBe('0');
  sh('systemctl start stalker-agent@container.service');

  // hostile values: the CLI refuses them, one line each
  for (const args of [
    ['container', '../x', 'image', 'app'],
    ['container', 'app2', 'image', '../../etc'],
    ['container', 'app', 'command', '--privileged  /bin/sh'],
    ['container', 'app', 'env', 'A\tB=1'],
  ]) {
    const r = sysdb(sshPort, 'set', ...args);
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  }
  // ... and the agent refuses what another OVSDB client writes past the CLI, in the row's status
  sh(
    `ovsdb-client transact unix:/run/sysdb/sysdb.sock '["Sysdb",{"op":"insert","table":"Container","row":{"name":"evil","id":99,"image":"../../etc","state":"run"}}]'`,
  );
  await eventually('the refusal in the status', () => /^error: .*image/.test(row('evil')?.status ?? ''), 60_000);
  expect(sh("pgrep -f '[m]achine=evil' || echo none").trim()).toBe('none');

  // leave the device as it was for the tests after this one
  const clean = sysdb(sshPort, 'del', 'container', 'evil');
  expect(clean.status).toBe(0);
  expect(sysdb(sshPort, 'del', 'container', 'app').status).toBe(0);
  return { agentsRssKiB: rss, agentsPssKiB: pss };
}
