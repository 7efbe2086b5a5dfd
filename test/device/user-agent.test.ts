import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AgentRuntime } from '../../lib/device/agents/agent-runtime.js';
import type { CommandRunner, RunOptions } from '../../lib/device/agents/command-runner.js';
import { KEYS_DIR, keysContent } from '../../lib/device/agents/user-accounts.js';
import { SSHD_DROPIN, userAgent } from '../../lib/device/agents/user-agent.js';
import { startAgent } from './helpers/agents.js';
import { OvsdbServer, until } from './helpers/ovsdb-server.js';

// Real users cannot be made on this host safely: the agent's root is a temp dir with fake account
// files, and useradd, chpasswd, usermod and gpasswd are a recording fake that edits those files as
// the real tools would, so what the agent reads back on the next pass is what they left.
class FakeAccounts implements CommandRunner {
  calls: string[] = [];
  stdins: string[] = [];
  /** chpasswd fails, quoting its input line back as some versions do */
  failChpasswd = false;
  constructor(readonly root: string) {
    mkdirSync(path.join(root, 'etc'), { recursive: true });
    this.write('passwd', [
      'root:x:0:0:root:/root:/bin/bash',
      'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
      'sshd:x:101:65534::/run/sshd:/usr/sbin/nologin',
    ]);
    this.write('group', ['root:x:0:', 'daemon:x:1:', 'sudo:x:27:']);
    this.write('shadow', ['root:!:19000:0:99999:7:::', 'daemon:*:19000:0:99999:7:::', 'sshd:!:19000::::::']);
  }
  private file = (f: string) => path.join(this.root, 'etc', f);
  lines = (f: string) => readFileSync(this.file(f), 'utf8').split('\n').filter(Boolean);
  private write = (f: string, lines: string[]) => writeFileSync(this.file(f), `${lines.join('\n')}\n`);
  private edit(f: string, name: string, change: (fields: string[]) => string[]) {
    this.write(
      f,
      this.lines(f).map((l) => (l.split(':')[0] === name ? change(l.split(':')).join(':') : l)),
    );
  }
  shadowOf = (name: string) =>
    this.lines('shadow')
      .find((l) => l.startsWith(`${name}:`))
      ?.split(':')[1];
  sudoers = () =>
    this.lines('group')
      .find((l) => l.startsWith('sudo:'))!
      .split(':')[3];

  async run(argv: string[], opts?: RunOptions) {
    this.calls.push(argv.join(' '));
    if (opts?.stdin !== undefined) this.stdins.push(opts.stdin);
    const name = argv.at(-1)!;
    if (argv[0] === 'useradd') {
      const uid = 1000 + this.lines('passwd').filter((l) => Number(l.split(':')[2]) >= 1000).length;
      this.write('passwd', [...this.lines('passwd'), `${name}:x:${uid}:${uid}::/home/${name}:/bin/bash`]);
      this.write('group', [...this.lines('group'), `${name}:x:${uid}:`]);
      this.write('shadow', [...this.lines('shadow'), `${name}:!:19000:0:99999:7:::`]);
    } else if (argv[0] === 'chpasswd' && this.failChpasswd) {
      return { code: 1, stdout: '', stderr: `chpasswd: line 1: cannot update password entry: ${opts!.stdin!.trim()}\n` };
    } else if (argv[0] === 'chpasswd') {
      const [user, hash] = opts!.stdin!.trim().split(':');
      this.edit('shadow', user, (f) => [f[0], hash, ...f.slice(2)]);
    } else if (argv[0] === 'usermod' && argv[1] === '--lock') {
      this.edit('shadow', name, (f) => [f[0], `!${f[1]}`, ...f.slice(2)]);
    } else if (argv[0] === 'usermod' && argv[1] === '-aG') {
      this.edit('group', argv[2], (f) => [...f.slice(0, 3), [...f[3].split(',').filter(Boolean), name].join(',')]);
    } else if (argv[0] === 'gpasswd') {
      this.edit('group', argv[3], (f) => [
        ...f.slice(0, 3),
        f[3]
          .split(',')
          .filter((m) => m !== argv[2])
          .join(','),
      ]);
    }
    return { code: 0, stdout: '', stderr: '' };
  }
}

const HASH = '$y$j9T$Sysdb.test.salt$K3yb0ardC4tWalkedOverThisHashValue0123456';
const HASH2 = '$6$othersalt$AnotherHashValueForTheSecondPassword.abcdefghijklmnopqrstuv';
const ALICE = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAlicesKeyForTheUserAgentTest alice@laptop';
const BOB = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBobsKeyForTheUserAgentTest0 bob@desk';

let server: OvsdbServer;
let runtime: AgentRuntime | undefined;
let lines: string[];
let sys: FakeAccounts;
let root: string;

beforeEach(async () => {
  server = new OvsdbServer();
  await server.start();
  root = mkdtempSync(path.join(os.tmpdir(), 'user-agent-root-'));
  sys = new FakeAccounts(root);
});
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
  await server.dispose();
  rmSync(root, { recursive: true, force: true });
});

const set = (values: string[]) => ['set', values];
const insert = (row: Record<string, unknown>) => server.transact([{ op: 'insert', table: 'User', row }]);
const update = (name: string, row: Record<string, unknown>) => server.transact([{ op: 'update', table: 'User', where: [['name', '==', name]], row }]);
const users = () => (server.transact([{ op: 'select', table: 'User', where: [] }]) as [{ rows: Record<string, unknown>[] }])[0].rows;
const statusOf = (name: string) => users().find((r) => r.name === name)?.status;
const keysFile = (name: string) => path.join(root, KEYS_DIR, name);
const start = async (reload?: string[]) => {
  ({ runtime, lines } = await startAgent(userAgent({ runner: sys, root, reload, intervalMs: 60_000 }), server.remote));
};
/** Another pass with nothing changed: no command and no file written (no "applied" line). */
async function expectConverged() {
  const [calls, applied] = [sys.calls.length, lines.filter((l) => l.includes('"applied"')).length];
  runtime!.kick();
  await runtime!.settle();
  expect(sys.calls.slice(calls)).toEqual([]);
  expect(lines.filter((l) => l.includes('"applied"')).length).toBe(applied);
}

it('creates a user with a hash, sudo and keys in authorized_keys.d; idempotent; the hash only ever on stdin', async () => {
  insert({ name: 'alice', password_hash: HASH, sudo: true, authorized_keys: set([BOB, ALICE]) });
  await start();
  await until('ok status', () => statusOf('alice') === 'ok');
  expect(sys.calls).toEqual(['useradd --create-home --shell /bin/bash --user-group -- alice', 'chpasswd -e', 'usermod -aG sudo -- alice']);
  expect(sys.stdins).toEqual([`alice:${HASH}\n`]);
  expect(sys.shadowOf('alice')).toBe(HASH);
  expect(sys.sudoers()).toBe('alice');
  // and sudo without a password (a keys-only account has none to give), in a 0440 file of its own
  const sudoersFile = path.join(root, 'etc/sudoers.d/sysdb-alice');
  expect(readFileSync(sudoersFile, 'utf8')).toMatch(/^alice ALL=\(ALL:ALL\) NOPASSWD: ALL$/m);
  expect(statSync(sudoersFile).mode & 0o7777).toBe(0o440);
  // sorted, one per line, after the header; root-owned 0644 (the agent runs as root), not in ~/.ssh
  expect(readFileSync(keysFile('alice'), 'utf8')).toBe(keysContent('alice', [ALICE, BOB]));
  expect(readFileSync(keysFile('alice'), 'utf8').split('\n').slice(2)).toEqual([ALICE, BOB, '']);
  expect(statSync(keysFile('alice')).mode & 0o7777).toBe(0o644);
  await expectConverged();
  expect(lines.join('\n')).not.toContain(HASH);
  expect(lines.join('\n')).toContain('chpasswd -e (the password hash of alice on stdin)');
  expect(JSON.stringify(users().map((r) => r.status))).not.toContain(HASH);
  expect(sys.calls.join('\n')).not.toContain(HASH);
});

it('a changed hash runs chpasswd, none locks, sudo false leaves the group, keys are rewritten; each once', async () => {
  insert({ name: 'alice', password_hash: HASH, sudo: true, authorized_keys: set([ALICE]) });
  await start();
  await until('ok status', () => statusOf('alice') === 'ok');
  const before = sys.calls.length;

  update('alice', { password_hash: HASH2 });
  await until('new hash', () => sys.shadowOf('alice') === HASH2);
  await until('ok status', () => statusOf('alice') === 'ok');
  expect(sys.calls.slice(before)).toEqual(['chpasswd -e']);
  expect(sys.stdins.at(-1)).toBe(`alice:${HASH2}\n`);

  update('alice', { password_hash: set([]), sudo: false, authorized_keys: set([BOB]) });
  // the keys file is the last step of a pass
  await until('keys rewritten', () => readFileSync(keysFile('alice'), 'utf8') === keysContent('alice', [BOB]));
  expect(sys.shadowOf('alice')).toBe(`!${HASH2}`);
  expect(sys.calls.slice(before + 1)).toEqual(['usermod --lock -- alice', 'gpasswd -d alice sudo']);
  expect(sys.sudoers()).toBe('');
  expect(existsSync(path.join(root, 'etc/sudoers.d/sysdb-alice'))).toBe(false);
  await expectConverged();
  expect(lines.join('\n')).not.toMatch(/K3yb0ardC4t|AnotherHashValue/);
});

it('root: its hash and keys, never a useradd or a lock; sudo is ignored', async () => {
  insert({ name: 'root', password_hash: HASH, sudo: false, authorized_keys: set([ALICE]) });
  await start();
  await until('ok status', () => statusOf('root') === 'ok');
  expect(sys.calls).toEqual(['chpasswd -e']);
  expect(sys.stdins).toEqual([`root:${HASH}\n`]);
  expect(readFileSync(keysFile('root'), 'utf8')).toBe(keysContent('root', [ALICE]));
  update('root', { password_hash: set([]) });
  await until('status cleared and back', () => statusOf('root') === 'ok');
  await expectConverged();
  expect(sys.shadowOf('root')).toBe(HASH);
});

it('refuses a system account and a bad key with an error status and does nothing; the refusal is logged once', async () => {
  insert({ name: 'daemon', password_hash: HASH, authorized_keys: set([ALICE]) });
  insert({ name: 'sshd', authorized_keys: set([]) });
  // written past the CLI's checks: the agent checks again
  insert({ name: 'mallory', authorized_keys: set([`command="curl x|sh" ${ALICE}`]) });
  await start();
  await until('daemon refused', () => statusOf('daemon') === 'error: "daemon" is a system account (uid 1): Sysdb does not manage system accounts');
  await until('sshd refused', () => statusOf('sshd') === 'error: "sshd" is a system account (uid 101): Sysdb does not manage system accounts');
  await until('bad key refused', () => String(statusOf('mallory')).startsWith('error: authorized_keys "command=\\"curl x|sh\\" ssh-ed25519 AAAA'));
  expect(statusOf('mallory')).toContain('rejected: expected an OpenSSH public key line');
  expect(sys.calls).toEqual([]);
  expect(existsSync(path.join(root, KEYS_DIR))).toBe(false);
  await expectConverged();
  expect(lines.filter((l) => l.includes('"value rejected"'))).toHaveLength(3);
  expect(lines.join('\n')).not.toContain(HASH);
});

it('a failed chpasswd is an error status that does not echo the hash', async () => {
  sys.failChpasswd = true;
  insert({ name: 'alice', password_hash: HASH });
  await start();
  await until('error status', () => String(statusOf('alice')).startsWith('error: '));
  expect(statusOf('alice')).toBe('error: chpasswd -e for alice exited 1: chpasswd: line 1: cannot update password entry: alice:(secret)');
  expect(lines.some((l) => l.includes('"step failed"'))).toBe(true);
  expect(lines.join('\n')).not.toContain(HASH);
});

it('a bad hash is refused without echoing it', async () => {
  const bad = 'plaintext-password-typed-by-mistake';
  insert({ name: 'alice', password_hash: bad });
  await start();
  await until('refused', () => String(statusOf('alice')).startsWith('error: password_hash (secret) rejected'));
  expect(sys.calls).toEqual([]);
  expect(`${lines.join('\n')}${JSON.stringify(statusOf('alice'))}`).not.toContain(bad);
});

it('a deleted row: keys file removed and password locked, the account kept; a returning row is managed again', async () => {
  insert({ name: 'alice', password_hash: HASH, authorized_keys: set([ALICE]) });
  await start();
  await until('ok status', () => statusOf('alice') === 'ok');
  const before = sys.calls.length;
  server.transact([{ op: 'delete', table: 'User', where: [['name', '==', 'alice']] }]);
  await until('keys file removed', () => !existsSync(keysFile('alice')));
  await until('locked', () => sys.shadowOf('alice') === `!${HASH}`);
  expect(sys.calls.slice(before)).toEqual(['usermod --lock -- alice']);
  expect(sys.lines('passwd').some((l) => l.startsWith('alice:'))).toBe(true);
  expect(lines.some((l) => l.includes('user row deleted') && l.includes('"user":"alice"'))).toBe(true);
  await expectConverged();

  insert({ name: 'alice', password_hash: HASH, authorized_keys: set([BOB]) });
  await until('ok again', () => statusOf('alice') === 'ok' && existsSync(keysFile('alice')));
  expect(sys.calls.slice(before + 1)).toEqual(['chpasswd -e']);
  expect(readFileSync(keysFile('alice'), 'utf8')).toBe(keysContent('alice', [BOB]));
});

it('leaves keys files it did not write alone', async () => {
  mkdirSync(path.join(root, KEYS_DIR), { recursive: true });
  writeFileSync(keysFile('carol'), `${ALICE}\n`);
  await start();
  await expectConverged();
  expect(sys.calls).toEqual([]);
  expect(readFileSync(keysFile('carol'), 'utf8')).toBe(`${ALICE}\n`);
});

it('System.ssh_password_auth: a drop-in that sorts before the image drop-in, a reload, removed when unset; no System.status', async () => {
  server.transact([{ op: 'insert', table: 'System', row: { hostname: 'pi', ssh_password_auth: true } }]);
  const dropin = path.join(root, SSHD_DROPIN);
  await start(['systemctl', 'reload', 'ssh.service']);
  await until('drop-in and reload', () => sys.calls.length === 1);
  expect(readFileSync(dropin, 'utf8')).toMatch(/\nPasswordAuthentication yes\n$/);
  expect(sys.calls).toEqual(['systemctl reload ssh.service']);
  // sshd keeps the first value: ours must be read before the image's /etc/ssh/sshd_config.d/stalker.conf
  expect([path.basename(dropin), 'stalker.conf'].sort()[0]).toBe(path.basename(dropin));
  await expectConverged();

  server.transact([{ op: 'update', table: 'System', where: [], row: { ssh_password_auth: false } }]);
  await until('no', () => readFileSync(dropin, 'utf8').endsWith('\nPasswordAuthentication no\n'));
  server.transact([{ op: 'update', table: 'System', where: [], row: { ssh_password_auth: set([]) } }]);
  await until('removed', () => !existsSync(dropin));
  await until('three reloads', () => sys.calls.length === 3);
  expect(sys.calls).toEqual(Array(3).fill('systemctl reload ssh.service'));
  await expectConverged();
  const [system] = (server.transact([{ op: 'select', table: 'System', where: [] }]) as [{ rows: Record<string, unknown>[] }])[0].rows;
  expect(system.status).toEqual(['set', []]);
});

it('--dry-run plans useradd, chpasswd (without the hash) and the keys file, and changes nothing', async () => {
  insert({ name: 'alice', password_hash: HASH, sudo: true, authorized_keys: set([ALICE]) });
  const { runtime: r, lines: out } = await startAgent(userAgent({ runner: sys, root, intervalMs: 60_000 }), server.remote, true);
  await r.stop();
  expect(out.filter((l) => l.startsWith('plan: ')).map((l) => l.replace(/ \(".*$/, ''))).toEqual([
    'plan: useradd --create-home --shell /bin/bash --user-group -- alice',
    'plan: chpasswd -e (the password hash of alice on stdin)',
    'plan: usermod -aG sudo -- alice',
    `plan: write ${path.join(root, 'etc/sudoers.d/sysdb-alice')}`,
    `plan: write ${keysFile('alice')}`,
  ]);
  expect(out.join('\n')).not.toContain(HASH);
  expect(sys.calls).toEqual([]);
  expect(existsSync(path.join(root, KEYS_DIR))).toBe(false);
});
