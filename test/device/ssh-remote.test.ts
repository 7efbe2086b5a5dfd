// Issue 26 (items 6, 7, 8): `sysdb --remote ssh://` against a real sshd serving the image's sshd
// drop-in, a real ovsdb-server and the bundled CLI as the device's `sysdb`. Over ssh the device runs
// its own CLI, so its audit entry names the key sshd authenticated; parallel calls share one
// multiplexed connection and retry what sshd's MaxStartups drops; nothing is forwarded.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import { bundleSysdb } from './helpers/bundle.js';
import { OvsdbServer, until } from './helpers/ovsdb-server.js';
import { processesMentioning, Sshd } from './helpers/sshd.js';

jest.setTimeout(60_000);

let sshd: Sshd;
let server: OvsdbServer;
let bundle: string;
let control: string;
let remoteSysdb: string;
let lastArgv: string;

type Result = { code: number | null; out: string; err: string; ms: number };

/** The host side: the bundled CLI with an ssh remote; the device side: the wrapper below over ssh. */
function sysdb(args: string[], o: { env?: NodeJS.ProcessEnv; input?: string; url?: string } = {}): Promise<Result> {
  const t0 = Date.now();
  const env = { ...process.env, SYSDB_SSH_ARGS: sshd.sshArgs(), SYSDB_SSH_COMMAND: remoteSysdb, SYSDB_SSH_CONTROL: control, ...o.env };
  return new Promise((resolve) => {
    const child = spawn('node', [bundle, '--remote', o.url ?? sshd.url(server.sock), ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.stdin.end(o.input ?? '');
    child.on('close', (code) => resolve({ code, out: out.trim(), err: err.trim(), ms: Date.now() - t0 }));
  });
}

const oneLine = (r: Result, message: RegExp) => {
  expect(r.code).toBe(1);
  expect(r.err.split('\n')).toHaveLength(1);
  expect(r.err).toMatch(/^sysdb: /);
  expect(r.err).toMatch(message);
};

beforeAll(async () => {
  bundle = bundleSysdb();
  sshd = new Sshd();
  await sshd.start();
  server = new OvsdbServer();
  await server.start();
  control = path.join(sshd.dir, 'ctl');
  mkdirSync(control, { mode: 0o700 });
  // The device's `sysdb`: records the words it got (one per line), then runs the bundled CLI.
  remoteSysdb = path.join(sshd.dir, 'remote-sysdb');
  lastArgv = path.join(sshd.dir, 'last-argv');
  writeFileSync(remoteSysdb, `#!/bin/sh\nprintf '%s\\n' "$@" > ${lastArgv}\nexec node ${bundle} "$@"\n`, { mode: 0o755 });
  expect((await sysdb(['set', 'system', 'hostname', 'pi-start'])).code).toBe(0);
});

afterAll(async () => {
  if (control) Sshd.exitMasters(control);
  await server?.dispose();
  await sshd?.dispose();
});

it('20 parallel `show system` all succeed (one multiplexed connection, retries past MaxStartups)', async () => {
  // no master yet: all 20 race to log in, more than MaxStartups' 10 unauthenticated connections
  const fresh = path.join(sshd.dir, 'ctl-parallel');
  mkdirSync(fresh, { mode: 0o700 });
  const accepted = (sshd.log.match(/Accepted publickey/g) ?? []).length;
  const runs = await Promise.all(Array.from({ length: 20 }, () => sysdb(['show', 'system'], { env: { SYSDB_SSH_CONTROL: fresh } })));
  Sshd.exitMasters(fresh);
  for (const r of runs) {
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(/pi-start/);
  }
  // the calls that lost the race rode the winner's connection instead of logging in again
  expect((sshd.log.match(/Accepted publickey/g) ?? []).length - accepted).toBeLessThan(20);
});

it("an audit entry written over ssh names the authenticated key, not the client's SUDO_USER", async () => {
  const r = await sysdb(['set', 'system', 'hostname', 'pi-key'], { env: { SUDO_USER: 'mallory' } });
  expect(r.code).toBe(0);
  const seq = /audit entry (\d+)/.exec(r.out)![1];
  const entry = await sysdb(['audit', 'show', seq]);
  const who = /^who +(.*)$/m.exec(entry.out)![1];
  expect(who).toContain(`via ssh key ${sshd.fingerprint()} (${sshd.comment})`);
  expect(who).not.toContain('mallory');
});

it('a SIGSTOPped ovsdb-server: one `sysdb:` line within --timeout', async () => {
  const stopped = new OvsdbServer();
  await stopped.start();
  process.kill(stopped.pid!, 'SIGSTOP');
  try {
    const r = await sysdb(['--timeout', '2', 'show', 'system'], { url: sshd.url(stopped.sock) });
    oneLine(r, /get_schema: no reply from unix:.* within 2000 ms/);
    expect(r.ms).toBeLessThan(2000 + 3000);
  } finally {
    process.kill(stopped.pid!, 'SIGCONT');
    await stopped.dispose();
  }
});

it("a closed port fails at once with ssh's own line (no retry loop)", async () => {
  const r = await sysdb(['show', 'system'], { url: 'ssh://root@127.0.0.1:1' });
  oneLine(r, /^sysdb: ssh to 127\.0\.0\.1: .*Connection refused$/);
  expect(r.ms).toBeLessThan(3000);
});

it("a key sshd refuses fails at once, and does not ride the authorized key's master", async () => {
  const r = await sysdb(['show', 'system'], { env: { SYSDB_SSH_ARGS: sshd.sshArgs(sshd.strangerKey) } });
  oneLine(r, /^sysdb: ssh to 127\.0\.0\.1: .*Permission denied \(publickey\)\.$/);
  expect(r.ms).toBeLessThan(3000);
});

it('an unknown host key fails at once', async () => {
  const r = await sysdb(['show', 'system'], { env: { SYSDB_SSH_ARGS: `-o UserKnownHostsFile=/dev/null ${sshd.sshArgs()}`, SYSDB_SSH_CONTROL: 'no' } });
  oneLine(r, /ssh to 127\.0\.0\.1: Host key verification failed\.$/);
  expect(r.ms).toBeLessThan(3000);
});

it.each(['$(touch /tmp/sysdb-ssh-pwned)', ';touch /tmp/sysdb-ssh-pwned', "it's `touch /tmp/sysdb-ssh-pwned`", 'a b\tc'])(
  'shell metacharacters arrive as one literal word and are refused by the device: %s',
  async (value) => {
    const r = await sysdb(['set', 'system', 'hostname', value]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(JSON.stringify(value));
    expect(readFileSync(lastArgv, 'utf8')).toBe(['--remote=unix:' + server.sock, 'set', 'system', 'hostname', value, ''].join('\n'));
    expect(existsSync('/tmp/sysdb-ssh-pwned')).toBe(false);
  },
);

it('a negative number is a value on the device too (refused by the range, one line)', async () => {
  const r = await sysdb(['set', 'interface', 'eth0', 'vlan', '-1']);
  oneLine(r, /^sysdb: .*-1/);
  expect(readFileSync(lastArgv, 'utf8')).toContain('\nvlan\n-1\n');
});

it('an option value that starts with "-" stays a value on the device', async () => {
  const r = await sysdb(['audit', '--who=-x']);
  expect(r).toMatchObject({ code: 0, err: '' });
  expect(readFileSync(lastArgv, 'utf8')).toContain('--who=-x\n');
});

describe('apply', () => {
  it('apply FILE reads the local file and sends it as `apply -`', async () => {
    const file = path.join(sshd.dir, 'state.json');
    writeFileSync(file, JSON.stringify({ system: { hostname: 'pi-file' } }));
    const r = await sysdb(['apply', file]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/applied 1 change/);
    expect(readFileSync(lastArgv, 'utf8')).toBe(`--remote=unix:${server.sock}\napply\n-\n`);
    expect((await sysdb(['show', 'system'])).out).toMatch(/pi-file/);
  });

  it('apply - passes stdin through', async () => {
    const r = await sysdb(['apply', '-', '--dry-run'], { input: JSON.stringify({ system: { hostname: 'pi-stdin' } }) });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/dry run: 1 change/);
    const w = await sysdb(['apply', '-'], { input: JSON.stringify({ system: { hostname: 'pi-stdin' } }) });
    expect(w.code).toBe(0);
    expect((await sysdb(['show', 'system'])).out).toMatch(/pi-stdin/);
  });

  it('an unreadable local file is one line before any ssh', async () => {
    const r = await sysdb(['apply', '/nonexistent/state.json'], { url: 'ssh://root@127.0.0.1:1' });
    oneLine(r, /cannot read \/nonexistent\/state\.json: ENOENT/);
  });
});

it.each([
  [['seed', 'x.db', 's.json'], /seed works on local files/],
  [['canonicalize', 'x.db'], /canonicalize works on local files/],
  [['--schema', 'lib/device/sysdb.ovsschema', 'show', 'system'], /--schema FILE is not available over ssh/],
  [['audit', 'verify', '--anchor', '/tmp/a'], /--anchor FILE is not available over ssh/],
])('%j is refused over ssh with one line (exit 2), before connecting', async (args, message) => {
  const r = await sysdb(args, { url: 'ssh://root@127.0.0.1:1' });
  expect(r.code).toBe(2);
  expect(r.err.split('\n')).toHaveLength(1);
  expect(r.err).toMatch(message);
});

it('audit verify runs on the device', async () => {
  const r = await sysdb(['audit', 'verify']);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/audit log intact: \d+ entries/);
});

it('a control directory writable by others is refused', async () => {
  const open = path.join(sshd.dir, 'open-ctl');
  mkdirSync(open);
  chmodSync(open, 0o777);
  const r = await sysdb(['show', 'system'], { env: { SYSDB_SSH_CONTROL: open } });
  oneLine(r, /ssh control directory .*open-ctl is writable by others \(mode 777\): refusing it/);
});

describe("the image's sshd drop-in", () => {
  it('sshd -T: no forwarding of any kind, no tunnels, the key exposed to the session, sessions for parallel calls', () => {
    const t = spawnSync('/usr/sbin/sshd', ['-T', '-f', sshd.config], { encoding: 'utf8' }).stdout;
    for (const line of [
      'disableforwarding yes',
      'x11forwarding no',
      'allowtcpforwarding no',
      'allowagentforwarding no',
      'allowstreamlocalforwarding no',
      'permittunnel no',
      'exposeauthinfo yes',
    ])
      expect(t).toContain(`\n${line}\n`);
    expect(Number(/\nmaxsessions (\d+)\n/.exec(t)![1])).toBeGreaterThanOrEqual(20);
  });

  const ssh = (...args: string[]) =>
    spawnSync('ssh', ['-p', String(sshd.port), ...sshd.sshArgs().split(' '), '-o', 'BatchMode=yes', '-o', 'ControlPath=none', ...args], {
      encoding: 'utf8',
      timeout: 20_000,
    });

  it('TCP forwarding is refused (ssh -W)', () => {
    const r = ssh('-W', `127.0.0.1:${sshd.port}`, 'root@127.0.0.1');
    expect(r.status).toBe(255);
    expect(r.stderr).toMatch(/administratively prohibited|forwarding failed/);
  });

  it("the old unix-socket tunnel to Sysdb's socket is refused (ssh -N -L)", async () => {
    const local = path.join(sshd.dir, 'fwd.sock');
    const tunnel = spawn(
      'ssh',
      ['-p', String(sshd.port), ...sshd.sshArgs().split(' '), '-o', 'BatchMode=yes', '-N', '-L', `${local}:${server.sock}`, 'root@127.0.0.1'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    tunnel.stderr.on('data', (d) => (stderr += d));
    try {
      await until('the local end of the tunnel', () => existsSync(local));
      const r = spawnSync('ovsdb-client', ['--timeout=5', 'list-dbs', `unix:${local}`], { encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      expect(r.stdout).not.toMatch(/Sysdb/);
      await until('ssh reporting the refusal', () => /open failed/.test(stderr));
      expect(sshd.log).toMatch(/refused streamlocal port forward/);
    } finally {
      tunnel.kill('SIGTERM');
    }
  });
});

it('no ssh master of this test is left once asked to exit by its control path', async () => {
  expect(processesMentioning(control).length).toBeGreaterThan(0); // the multiplexing master, kept for reuse
  Sshd.exitMasters(control);
  await new Promise((r) => setTimeout(r, 500));
  expect(processesMentioning(control)).toEqual([]);
});
