import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AgentRuntime } from '../../lib/device/agents/agent-runtime.js';
import type { CommandRunner } from '../../lib/device/agents/command-runner.js';
import { addressSteps } from '../../lib/device/agents/net-addresses.js';
import { netAgent } from '../../lib/device/agents/net-agent.js';
import { startAgent } from './helpers/agents.js';
import { OvsdbServer, until } from './helpers/ovsdb-server.js';

// eth0 as `ip -j addr` shows it, changed by the agent's `ip addr replace/del`; a removal can be made to fail.
class FakeLink implements CommandRunner {
  addrs = new Set<string>();
  failDel = 0;
  async run(argv: string[]) {
    const ok = (stdout = '') => ({ code: 0, stdout, stderr: '' });
    const cmd = argv.join(' ');
    if (cmd === 'hostname') return ok('pi\n');
    if (cmd === 'ip -j addr show') {
      const info = [...this.addrs].map((a) => ({ family: 'inet', local: a.split('/')[0], prefixlen: Number(a.split('/')[1]), scope: 'global' }));
      return ok(JSON.stringify([{ ifname: 'eth0', mtu: 1500, flags: ['UP'], addr_info: info }]));
    }
    if (argv[0] === 'ip' && argv.includes('route')) return ok('[]');
    if (argv[0] === 'ovs-vsctl' && argv.includes('list-br')) return ok('br0\n');
    if (argv[0] === 'ovs-vsctl' && argv.includes('Port')) return ok('{"data":[]}');
    if (cmd.startsWith('ip addr replace ')) this.addrs.add(argv[3]);
    if (cmd.startsWith('ip addr del ')) {
      if (this.failDel > 0) {
        this.failDel--;
        return { code: 2, stdout: '', stderr: 'RTNETLINK answers: Device or resource busy\n' };
      }
      this.addrs.delete(argv[3]);
    }
    return ok();
  }
}

describe('planning addresses', () => {
  it('an address of its own stays recorded until its removal ran; the given set is left alone', () => {
    const mine = new Set(['10.0.0.2/24']);
    const plan = addressSteps('eth0', undefined, { addrs: ['10.0.0.2/24', '192.168.5.5/24'], dynamic: [] }, mine);
    // ip none: only the agent's own address goes; the hand-made one is not the agent's
    expect(plan.steps).toEqual([{ kind: 'run', argv: ['ip', 'addr', 'del', '10.0.0.2/24', 'dev', 'eth0'] }]);
    expect([...plan.during]).toEqual(['10.0.0.2/24']);
    expect([...plan.after]).toEqual([]);
    expect([...mine]).toEqual(['10.0.0.2/24']);
    // a new address is the agent's before it is added
    const next = addressSteps('eth0', '10.0.0.3/24', { addrs: ['10.0.0.2/24'], dynamic: [] }, mine);
    expect([...next.during].sort()).toEqual(['10.0.0.2/24', '10.0.0.3/24']);
    expect([...next.after]).toEqual(['10.0.0.3/24']);
    // gone by other means: forgotten
    expect([...addressSteps('eth0', undefined, { addrs: [], dynamic: [] }, mine).during]).toEqual([]);
  });
});

describe('the net agent remembers the addresses it added in its state file', () => {
  let server: OvsdbServer;
  let runtime: AgentRuntime | undefined;
  let lines: string[] = [];
  let dir: string;
  const link = new FakeLink();
  const file = () => path.join(dir, 'run/stalker/net-addresses.json');
  const agent = (stateFile = file()) => netAgent({ runner: link, root: dir, datapath: 'netdev', intervalMs: 60_000, stateFile });
  const setIp = (ip: unknown) => server.transact([{ op: 'update', table: 'Interface', where: [['name', '==', 'eth0']], row: { ip } }]);
  const restart = async (stateFile?: string) => {
    await runtime?.stop();
    ({ runtime, lines } = await startAgent(agent(stateFile), server.remote));
  };
  const pass = async () => {
    runtime!.kick();
    await runtime!.settle();
  };
  const warnings = () => lines.filter((l) => l.includes('"level":"warning"'));

  beforeAll(async () => {
    server = new OvsdbServer();
    await server.start();
    dir = mkdtempSync(path.join(os.tmpdir(), 'stalker-net-state-'));
    server.transact([
      { op: 'insert', table: 'System', row: { hostname: 'pi', log_level: 'debug' } },
      { op: 'insert', table: 'Interface', row: { name: 'eth0', ip: '10.0.0.2/24' } },
    ]);
  });
  afterAll(async () => {
    await runtime?.stop();
    await server.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a new agent (a restart) removes the address the first one added when the row stops naming it', async () => {
    await restart();
    expect([...link.addrs]).toEqual(['10.0.0.2/24']);
    expect(JSON.parse(readFileSync(file(), 'utf8'))).toEqual({ eth0: ['10.0.0.2/24'] });
    expect(statSync(file()).mode & 0o777).toBe(0o600);
    expect(lines.some((l) => l.includes('"level":"info"') && l.includes('no address state yet'))).toBe(true);
    await restart();
    // added by hand while no agent ran: not the agent's, and `ip none` names no family to clean up
    link.addrs.add('192.168.5.5/24');
    setIp(['set', []]);
    await until('removed by the new agent', () => !link.addrs.has('10.0.0.2/24'));
    await pass();
    expect([...link.addrs]).toEqual(['192.168.5.5/24']);
    expect(JSON.parse(readFileSync(file(), 'utf8'))).toEqual({});
    expect(warnings()).toEqual([]);
  });

  it('the file is rewritten only when the set changes', async () => {
    const saves = () => lines.filter((l) => l.includes('"msg":"address state saved"')).length;
    setIp('10.0.0.3/24');
    await until('added', () => link.addrs.has('10.0.0.3/24'));
    await runtime!.settle();
    const [before, saved] = [statSync(file()), saves()];
    await pass();
    await pass();
    const after = statSync(file());
    expect(saves()).toBe(saved);
    // a save renames a new file into place: same inode and mtime, no save
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    setIp('10.0.0.4/24');
    await until('rewritten', () => readFileSync(file(), 'utf8') === '{"eth0":["10.0.0.4/24"]}');
    // both recorded before 10.0.0.4 is added (10.0.0.3 is still there), then 10.0.0.4 alone
    expect(saves()).toBe(saved + 2);
  });

  it('a failed removal is retried, on a later pass or by a restarted agent', async () => {
    // failing for as long as this agent runs (its own status write wakes it for another try)
    link.failDel = Infinity;
    setIp(['set', []]);
    await until('removal tried', () => lines.some((l) => l.includes('"msg":"step failed"') && l.includes('10.0.0.4/24')));
    await runtime!.settle();
    expect(JSON.parse(readFileSync(file(), 'utf8'))).toEqual({ eth0: ['10.0.0.4/24'] });
    link.failDel = 0;
    await restart();
    expect(link.addrs.has('10.0.0.4/24')).toBe(false);
    await pass();
    expect(JSON.parse(readFileSync(file(), 'utf8'))).toEqual({});
  });

  it('a damaged file is a warning and "nothing added", never a failed pass', async () => {
    setIp('10.0.0.5/24');
    await until('added', () => link.addrs.has('10.0.0.5/24'));
    await runtime!.stop();
    for (const text of ['{"eth0": ["10.0.0.5/2', '["10.0.0.5/24"]', '{"eth0":["-j"],"-x":["10.0.0.5/24"]}']) {
      writeFileSync(file(), text);
      await restart();
      expect(warnings()).toEqual([expect.stringMatching(/"msg":"address state(: entries ignored| unreadable: taken as nothing added)"/)]);
      expect(lines).not.toContainEqual(expect.stringContaining('reconcile failed'));
      // the pass went on: the row's address is there, and recorded again
      expect(JSON.parse(readFileSync(file(), 'utf8'))).toEqual({ eth0: ['10.0.0.5/24'] });
    }
  });

  it('a state file that cannot be written is a warning; the links are still set', async () => {
    const blocker = path.join(dir, 'not-a-dir');
    writeFileSync(blocker, '');
    await restart(path.join(blocker, 'net-addresses.json'));
    setIp('10.0.0.6/24');
    await until('added', () => link.addrs.has('10.0.0.6/24'));
    await runtime!.settle();
    expect(warnings()).toEqual(expect.arrayContaining([expect.stringContaining('"msg":"address state not saved')]));
    expect(lines).not.toContainEqual(expect.stringContaining('reconcile failed'));
    const status = (server.transact([{ op: 'select', table: 'Interface', where: [] }]) as [{ rows: { status: unknown }[] }])[0].rows[0].status;
    expect(status).toBe('ok');
  });
});
