import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import type { AgentRuntime } from '../../lib/device/agents/agent-runtime.js';
import type { CommandRunner } from '../../lib/device/agents/command-runner.js';
import { containerAgent } from '../../lib/device/agents/container-agent.js';
import type { ContainerProc, ContainerRuntime } from '../../lib/device/agents/container-runtime.js';
import { startAgent } from './helpers/agents.js';
import { OvsdbServer, until } from './helpers/ovsdb-server.js';

jest.setTimeout(20_000);

/** A runtime that runs nothing: launches are recorded, "processes" end when the test says so. */
class FakeRuntime implements ContainerRuntime {
  launched: string[][] = [];
  running = new Map<string, ContainerProc>();
  stopped: string[] = [];
  private exits = new Map<string, () => void>();
  private next = 1000;
  async launch(name: string, argv: string[], onExit: () => void) {
    this.launched.push(argv);
    const p: ContainerProc = { pid: this.next++, exited: false, startedAt: Date.now() };
    this.running.set(name, p);
    this.exits.set(name, onExit);
    return p;
  }
  async find(name: string) {
    const p = this.running.get(name);
    return p && !p.exited ? p : undefined;
  }
  async poll() {}
  leader = (p: ContainerProc) => (p.exited ? undefined : p.pid + 1);
  async stop(name: string, p: ContainerProc) {
    this.stopped.push(name);
    this.end(name, 'killed by SIGTERM', null, p);
  }
  end(name: string, ending: string, code: number | null, p = this.running.get(name)!) {
    Object.assign(p, { exited: true, ending, code, endedAt: Date.now() });
    this.exits.get(name)?.();
  }
}

const ran: string[][] = [];
const runner: CommandRunner = {
  run: async (argv) => {
    ran.push(argv);
    return { code: argv.includes('br-exists') && argv.includes('br9') ? 2 : 0, stdout: '', stderr: '' };
  },
};

let server: OvsdbServer;
let runtime: AgentRuntime | undefined;
let fake: FakeRuntime;
const store = mkdtempSync(path.join(os.tmpdir(), 'ct-store-'));
mkdirSync(path.join(store, 'busybox/rootfs'), { recursive: true });
writeFileSync(
  path.join(store, 'busybox/image.json'),
  JSON.stringify({ name: 'busybox', manifest: 'sha256:0', Entrypoint: ['/bin/sh'], Cmd: null, Env: ['PATH=/bin'] }),
);

const rows = () => (server.transact([{ op: 'select', table: 'Container', where: [] }]) as [{ rows: Record<string, unknown>[] }])[0].rows;
const row = (name = 'web') => rows().find((r) => r.name === name)!;
const insert = (r: Record<string, unknown>) => server.transact([{ op: 'insert', table: 'Container', row: { state: 'run', image: 'busybox', ...r } }]);
const update = (name: string, r: Record<string, unknown>) => server.transact([{ op: 'update', table: 'Container', where: [['name', '==', name]], row: r }]);
const agent = () => containerAgent({ runtime: fake, runner, store, settleMs: 300, backoffMs: { min: 50, max: 200 }, maxCrashes: 3 });

beforeEach(async () => {
  server = new OvsdbServer();
  await server.start();
  fake = new FakeRuntime();
  ran.length = 0;
});
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
  await server.dispose();
});

it('starts a container (starting, then running), wires its network inside, restarts it after a crash, stops it on state stop', async () => {
  insert({ name: 'web', id: 5, ip: '10.0.0.5/24', gateway: '10.0.0.1', env: ['set', ['A=$(x)']], command: '/bin/sh --privileged -c true' });
  ({ runtime } = await startAgent(agent(), server.remote));
  await until('running', () => row().status === 'running');
  const argv = fake.launched[0];
  expect(argv.slice(0, 4)).toEqual(['systemd-nspawn', '--quiet', '--register=no', '--keep-unit']);
  expect(argv).toContain('--network-veth-extra=vi5:eth0');
  expect(argv).toContain('--setenv=A=$(x)');
  expect(argv.slice(argv.indexOf('--'))).toEqual(['--', '/bin/sh', '--privileged', '-c', 'true']);
  expect(row().pid).toBe(1001);
  expect(ran).toEqual(
    expect.arrayContaining([
      ['ip', 'link', 'set', 'dev', 'vi5', 'up'],
      ['nsenter', '--target=1001', '--net', '--', 'ip', 'addr', 'replace', '10.0.0.5/24', 'dev', 'eth0'],
      ['nsenter', '--target=1001', '--net', '--', 'ip', 'route', 'replace', 'default', 'via', '10.0.0.1', 'dev', 'eth0'],
    ]),
  );
  fake.end('web', 'killed by SIGKILL', null);
  await until('restarted', () => row().restarts === 1 && fake.launched.length === 2);
  await until('running again', () => row().status === 'running');
  update('web', { state: 'stop' });
  await until('stopped', () => row().status === 'stopped');
  expect(fake.stopped).toEqual(['web']);
});

it('crashes back off and give up; restart no ends at exited', async () => {
  insert({ name: 'web', id: 5 });
  insert({ name: 'once', id: 6, restart: 'no' });
  ({ runtime } = await startAgent(agent(), server.remote));
  await until('launched', () => fake.running.has('web') && fake.running.has('once'));
  fake.end('once', 'exited with code 0', 0);
  await until('exited', () => row('once').status === 'exited: exited with code 0 (restart no)');
  for (let i = 1; i <= 3; i++) {
    await until(`launch ${i}`, () => fake.launched.filter((a) => a.includes('--machine=web')).length === i && !fake.running.get('web')!.exited);
    fake.end('web', 'exited with code 1', 1);
  }
  await until('gave up', () => row().status === 'failed: exited with code 1 (gave up after 3 crashes)');
  expect(row().restarts).toBe(2);
});

it('adopts a running container after an agent restart; stopping the agent stops every container', async () => {
  insert({ name: 'web', id: 5 });
  ({ runtime } = await startAgent(agent(), server.remote));
  await until('running', () => row().status === 'running');
  // an agent killed with SIGKILL runs no shutdown: the next one finds the container
  const again = agent();
  let lines: string[];
  const first = runtime;
  ({ runtime, lines } = await startAgent(again, server.remote));
  expect(lines.some((l) => l.includes('"msg":"adopted running container"'))).toBe(true);
  expect(fake.launched).toHaveLength(1);
  await runtime.stop();
  runtime = first;
  expect(fake.stopped).toEqual(['web']);
});

it('refuses hostile values, a missing image and a missing bridge', async () => {
  insert({ name: 'a/b', id: 1 });
  insert({ name: 'up', id: 2, image: '../x' });
  insert({ name: 'noimg', id: 3, image: 'alpine' });
  insert({ name: 'nobr', id: 4, bridge: 'br9' });
  ({ runtime } = await startAgent(agent(), server.remote));
  await until('all in error', () => rows().every((r) => String(r.status).startsWith('error: ')));
  expect(row('a/b').status).toMatch(/^error: name "a\/b" rejected/);
  expect(row('up').status).toMatch(/^error: image "..\/x" rejected/);
  expect(row('noimg').status).toBe('error: image alpine missing (sysdb image import DIR alpine)');
  expect(row('nobr').status).toBe('error: bridge br9 does not exist');
  expect(fake.launched).toEqual([]);
});
