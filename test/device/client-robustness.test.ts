// Issue 9, client robustness: every misbehaviour of a server or remote ends in one clear line and
// exit 1, in bounded time and memory. Misbehaving servers are a fake on a unix socket; the stopped
// server is a real ovsdb-server under SIGSTOP.
import { readFileSync } from 'node:fs';
import { jest } from '@jest/globals';
import { SysdbError } from '../../lib/device/errors.js';
import { OvsdbClient } from '../../lib/device/ovsdb/client.js';
import { JsonStreamSplitter } from '../../lib/device/ovsdb/json-stream.js';
import { parseRemote } from '../../lib/device/ovsdb/remote.js';
import { remoteCall, shellQuote, sshArgv } from '../../lib/device/cli/ssh-remote.js';
import { bundleSysdb, runBundle } from './helpers/bundle.js';
import { FakeServer } from './helpers/fake-server.js';
import { OvsdbServer, SCHEMA } from './helpers/ovsdb-server.js';

jest.setTimeout(30_000);
let bundle: string;
beforeAll(() => {
  bundle = bundleSysdb();
});

const SCHEMA_JSON = JSON.parse(readFileSync(SCHEMA, 'utf8'));
const oneLine = (r: { code: number | null; err: string }) => {
  expect(r.code).toBe(1);
  expect(r.err.split('\n')).toHaveLength(1);
  expect(r.err).not.toMatch(/\n\s+at |internal error/);
};

describe('a server that does not answer', () => {
  it('a stopped (SIGSTOP) ovsdb-server: --timeout 1 gives up after about a second', async () => {
    const server = new OvsdbServer();
    await server.start();
    const pid = server.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      const r = await runBundle(bundle, ['--remote', server.remote, '--timeout', '1', 'show', 'system']);
      oneLine(r);
      expect(r.err).toMatch(/get_schema: no reply from unix:.* within 1000 ms/);
      expect(r.ms).toBeLessThan(5000);
    } finally {
      process.kill(pid, 'SIGCONT');
      await server.dispose();
    }
  });

  it('a reply with the wrong id is not taken for the answer; the request times out', async () => {
    const fake = new FakeServer((req, s) => s.write(JSON.stringify({ id: 999, result: SCHEMA_JSON, error: null })));
    await fake.listen();
    const r = await runBundle(bundle, ['--remote', fake.remote, '--timeout', '0.5', 'show', 'system']);
    await fake.close();
    oneLine(r);
    expect(r.err).toMatch(/no reply .* within 500 ms/);
  });
});

describe('malformed replies and bad remotes', () => {
  const cases: [string, (req: { method: string; id: unknown }) => string, RegExp][] = [
    ['a null schema', (req) => JSON.stringify({ id: req.id, result: null, error: null }), /malformed schema/],
    [
      'rows without _uuid',
      (req) => JSON.stringify({ id: req.id, result: req.method === 'get_schema' ? SCHEMA_JSON : [{ rows: [{ hostname: 'x' }] }], error: null }),
      /row without _uuid/,
    ],
    ['bytes that are not JSON', () => 'HTTP/1.1 400 Bad Request\r\n\r\n', /malformed reply from the server/],
    [
      'a transact answered with a string',
      (req) => JSON.stringify({ id: req.id, result: req.method === 'get_schema' ? SCHEMA_JSON : 'ok', error: null }),
      /transact: malformed reply/,
    ],
  ];
  it.each(cases)('%s: one line, exit 1', async (_, reply, message) => {
    const fake = new FakeServer((req, s) => s.write(reply(req)));
    await fake.listen();
    const r = await runBundle(bundle, ['--remote', fake.remote, 'show', 'system']);
    await fake.close();
    oneLine(r);
    expect(r.err).toMatch(message);
  });

  it.each([
    ['tcp:127.0.0.1:99999', /port 99999 is not in 1\.\.65535/],
    ['tcp:127.0.0.1:1', /ECONNREFUSED/],
    ['udp:1.2.3.4', /bad remote "udp:1\.2\.3\.4"/],
    ['ssh://-oProxyCommand=x', /bad remote/],
    ['unix:/nonexistent/sock', /ENOENT/],
    // the real ssh client, refused: its own last line, not a hang
    ['ssh://root@127.0.0.1:1', /ssh to 127\.0\.0\.1: .*Connection refused/],
  ])('--remote %s: one line, exit 1', async (remote, message) => {
    const r = await runBundle(bundle, ['--remote', remote, 'show', 'system']);
    oneLine(r);
    expect(r.err).toMatch(message);
  });
});

describe('reply size and parsing cost', () => {
  it('an endless reply is cut off at the size limit instead of filling memory', async () => {
    let sent = 0;
    const fake = new FakeServer((req, s) => {
      s.write(`{"id":${JSON.stringify(req.id)},"error":null,"result":["`);
      const chunk = 'x'.repeat(64 * 1024);
      const pump = () => {
        while (!s.destroyed && sent < 512 * 1024 * 1024 && s.write(chunk)) sent += chunk.length;
      };
      s.on('drain', pump);
      pump();
    });
    await fake.listen();
    const client = new OvsdbClient({ remote: fake.remote, maxMessageBytes: 4 * 1024 * 1024, timeoutMs: 20_000 });
    await client.start();
    const err = await client.echo().catch((e: unknown) => e);
    client.close();
    await fake.close();
    expect(err).toBeInstanceOf(SysdbError);
    expect((err as SysdbError).message).toMatch(/reply larger than 4194304 bytes refused/);
    expect(sent).toBeLessThan(64 * 1024 * 1024);
  });

  it('an 8 MiB reply in 16 KiB chunks parses in linear time (the quadratic splitter took seconds)', () => {
    const reply = (rows: number) =>
      JSON.stringify({ id: 1, error: null, result: [{ rows: Array.from({ length: rows }, (_, i) => ({ name: `row-${i}`, value: 'v'.repeat(180), n: i })) }] });
    // best of three, so a busy machine's pauses do not count; the same machine times both sizes
    const parse = (doc: string) => {
      let best = Infinity;
      let out: unknown[] = [];
      for (let round = 0; round < 3; round++) {
        const t0 = performance.now();
        const splitter = new JsonStreamSplitter();
        out = [];
        for (let i = 0; i < doc.length; i += 16 * 1024) out.push(...splitter.push(doc.slice(i, i + 16 * 1024)));
        best = Math.min(best, performance.now() - t0);
      }
      return { out, ms: best };
    };
    const big = reply(40_000);
    expect(big.length).toBeGreaterThan(8 * 1024 * 1024);
    const small = parse(reply(5_000));
    const large = parse(big);
    expect(large.out).toHaveLength(1);
    expect((large.out[0] as { result: { rows: unknown[] }[] }).result[0].rows).toHaveLength(40_000);
    // 8x the bytes: about 8x the time when linear, 64x when every chunk rescans the buffer
    expect(large.ms / small.ms).toBeLessThan(24);
  });

  it('refuses a byte outside any JSON text rather than buffering it', () => {
    expect(() => new JsonStreamSplitter().push('{"a":1} x')).toThrow(/malformed reply/);
  });
});

it('show --json of a 30 MiB value comes back in seconds (the quadratic splitter took about a minute)', async () => {
  const server = new OvsdbServer();
  await server.start();
  try {
    const client = new OvsdbClient({ remote: server.remote, timeoutMs: 60_000 });
    await client.start();
    const big = 'x'.repeat(30 * 1024 * 1024);
    await client.transact('Sysdb', [{ op: 'insert', table: 'Audit', row: { seq: 1, time: 't', who: 'w', change: big, prev: 'p', hash: 'h' } }]);
    client.close();
    const t0 = Date.now();
    const r = await runBundle(bundle, ['--remote', server.remote, '--timeout', '60', 'show', 'audit', '--json']);
    expect(r.code).toBe(0);
    expect(r.out.length).toBeGreaterThan(30 * 1024 * 1024);
    expect(Date.now() - t0).toBeLessThan(30_000);
  } finally {
    await server.dispose();
  }
});

describe('ssh remotes', () => {
  const ssh = (url: string) => parseRemote(url) as Extract<ReturnType<typeof parseRemote>, { kind: 'ssh' }>;

  it('the ssh command: SYSDB_SSH_ARGS first (they win), BatchMode, multiplexing, "--", the destination, one remote command', () => {
    const argv = sshArgv(ssh('ssh://root@pi.lab:2222'), "sysdb 'show' 'system'", 7, '/run/user/0/sysdb-ssh', { SYSDB_SSH_ARGS: '-i /k  -o ConnectTimeout=20' });
    const path = argv[argv.indexOf('ControlMaster=auto') + 2];
    expect(path).toMatch(/^ControlPath=\/run\/user\/0\/sysdb-ssh\/[0-9a-f]{16}$/);
    expect(argv).toEqual([
      'ssh',
      ...['-p', '2222', '-i', '/k', '-o', 'ConnectTimeout=20', '-T', '-a', '-x'],
      ...['-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=7', '-o', 'ServerAliveInterval=5', '-o', 'ServerAliveCountMax=3'],
      ...['-o', 'ClearAllForwardings=yes', '-o', 'ControlMaster=auto', '-o', path, '-o', 'ControlPersist=30'],
      '--',
      'root@pi.lab',
      "sysdb 'show' 'system'",
    ]);
    // another key is another master: it must not ride this login
    const other = sshArgv(ssh('ssh://root@pi.lab:2222'), 'x', 7, '/d', { SYSDB_SSH_ARGS: '-i /other' });
    expect(other.find((a) => a.startsWith('ControlPath='))).not.toBe(path);
    expect(sshArgv(ssh('ssh://pi.lab'), 'x', 1, undefined, {}).some((a) => a.startsWith('Control'))).toBe(false);
  });

  it("the device gets the same words minus --remote, the URL's socket, values as --name=value, apply FILE as apply -", () => {
    const options = { remote: { type: 'string', short: 'r' }, timeout: { type: 'string' }, who: { type: 'string' }, json: { type: 'boolean' } } as const;
    expect(remoteCall(['-r', 'ssh://h', '--timeout', '3', 'show', 'system', '--json'], options, ssh('ssh://h')).words).toEqual([
      '--timeout=3',
      'show',
      'system',
      '--json',
    ]);
    expect(remoteCall(['--remote=ssh://h/s.sock', 'audit', '--who=-x'], options, ssh('ssh://h/s.sock')).words).toEqual([
      '--remote=unix:/s.sock',
      'audit',
      '--who=-x',
    ]);
    expect(remoteCall(['apply', 'state.json'], options, ssh('ssh://h'))).toEqual({ words: ['apply', '-'], input: { file: 'state.json' } });
    expect(remoteCall(['apply', '-'], options, ssh('ssh://h'))).toEqual({ words: ['apply', '-'], input: { stdin: true } });
    expect(remoteCall(['set', 'interface', 'eth0', 'vlan', '-1'], options, ssh('ssh://h')).words).toEqual(['set', 'interface', 'eth0', 'vlan', '-1']);
    // a secret read from stdin: ours goes to the device's
    expect(remoteCall(['set', 'wifi', 'home', 'passphrase', '-'], options, ssh('ssh://h'))).toEqual({
      words: ['set', 'wifi', 'home', 'passphrase', '-'],
      input: { stdin: true },
    });
    expect(shellQuote("it's $(x);`y`")).toBe("'it'\\''s $(x);`y`'");
  });

  it("the client takes no ssh remote (agents' --remote): a clear error, no tunnel", () => {
    expect(() => new OvsdbClient({ remote: 'ssh://root@pi.lab' })).toThrow(/ssh:\/\/root@pi\.lab: ssh remotes are for the sysdb CLI/);
  });
});
