// Secret columns (lib/device/secrets.ts): a Wi-Fi passphrase and a password hash reach the database
// and nothing that prints: not show/export/query without --secrets, not the audit log (it records
// that the value changed), not an error message; export | apply - keeps them without carrying them.
import { readFileSync } from 'node:fs';
import { jest } from '@jest/globals';
import { OvsdbServer } from './helpers/ovsdb-server.js';
import { sysdbOn } from './helpers/sysdb-in-process.js';

jest.setTimeout(60_000);
let server: OvsdbServer;
beforeEach(async () => {
  server = new OvsdbServer();
  await server.start();
});
afterEach(() => server.dispose());

const PASS = 'correct horse battery';
const HASH = '$y$j9T$abcdefghijklmnop$0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg';
const sysdb = (args: string[], stdin?: string) => sysdbOn(server.remote, args, stdin);
const rowsOf = (table: string) => (server.transact([{ op: 'select', table, where: [] }]) as [{ rows: Record<string, unknown>[] }])[0].rows;
const everything = async () =>
  [
    await sysdb(['show', 'wifi']),
    await sysdb(['show', 'wifi', '--json']),
    await sysdb(['show', 'user']),
    await sysdb(['export']),
    await sysdb(['query', 'wifi', 'home']),
    await sysdb(['audit']),
    await sysdb(['audit', 'show', '1']),
    await sysdb(['audit', 'show', '2']),
    await sysdb(['show', 'audit', '--json']),
  ]
    .map((r) => r.out + r.err)
    .join('\n');

it('a passphrase given on stdin is stored, and no output without --secrets shows it', async () => {
  const set = await sysdb(['set', 'wifi', 'home', 'passphrase', '-'], `${PASS}\n`);
  expect(set).toMatchObject({ code: 0, out: expect.stringMatching(/^\+ wifi home: passphrase=\(secret\)\napplied 1 change/) });
  expect(await sysdb(['set', 'user', 'pi', 'password_hash', HASH])).toMatchObject({ code: 0 });
  expect(rowsOf('Wifi')[0].passphrase).toBe(PASS);
  const text = await everything();
  expect(text).toContain('(secret)');
  expect(text).not.toContain(PASS);
  expect(text).not.toContain(HASH);
  // the server's own log and database file are the only places it is written
  expect(readFileSync(server.db, 'latin1')).toContain(PASS);
  expect((await sysdb(['show', 'wifi', '--secrets'])).out).toContain(PASS);
  expect(JSON.parse((await sysdb(['export', 'wifi', '--secrets'])).out)).toEqual({ wifi: { home: { passphrase: PASS } } });
});

it('a changed secret is audited as changed, without either value', async () => {
  await sysdb(['set', 'wifi', 'home', 'passphrase', PASS]);
  const r = await sysdb(['set', 'wifi', 'home', 'passphrase', 'another one entirely']);
  expect(r.out).toMatch(/~ wifi home: passphrase \(secret\) -> \(secret\)/);
  const entry = JSON.parse(String(rowsOf('Audit').find((e) => e.seq === 2)!.change)) as unknown;
  expect(entry).toEqual([expect.objectContaining({ op: 'modify', set: { passphrase: { from: '(secret)', to: '(secret)' } } })]);
  expect(JSON.stringify(rowsOf('Audit'))).not.toMatch(/correct horse|another one/);
  expect(await sysdb(['audit', 'verify'])).toMatchObject({ code: 0 });
});

it('export writes {"secret":"unchanged"}: apply keeps the value, and refuses it where there is none to keep', async () => {
  await sysdb(['set', 'wifi', 'home', 'passphrase', PASS]);
  await sysdb(['set', 'wifi', 'home', 'priority', '5']);
  const exported = await sysdb(['export']);
  expect(JSON.parse(exported.out).wifi).toEqual({ home: { passphrase: { secret: 'unchanged' }, priority: 5 } });
  expect(await sysdb(['apply', '-'], exported.out)).toMatchObject({ code: 0, out: 'no changes' });
  const edited = JSON.parse(exported.out);
  edited.wifi.home.priority = 9;
  edited.wifi.cafe = { passphrase: { secret: 'unchanged' } };
  expect(await sysdb(['apply', '-'], JSON.stringify(edited))).toMatchObject({
    code: 1,
    err: 'sysdb: wifi cafe: passphrase is {"secret":"unchanged"}, but there is no value to keep (sysdb export --secrets carries it)',
  });
  delete edited.wifi.cafe;
  expect((await sysdb(['apply', '-'], JSON.stringify(edited))).out).toMatch(/~ wifi home: priority 5 -> 9/);
  expect(rowsOf('Wifi')[0].passphrase).toBe(PASS);
});

it('a refused secret is not echoed in the error', async () => {
  const short = await sysdb(['set', 'wifi', 'home', 'passphrase', 'short']);
  expect(short).toMatchObject({ code: 1, err: 'sysdb: bad value (secret) for wifi.passphrase: expected at least 8 characters' });
  const bad = await sysdb(['set', 'user', 'pi', 'password_hash', 'plaintext-password']);
  expect(bad.err).toMatch(/^sysdb: bad value \(secret\) for user\.password_hash: expected a crypt\(3\) password hash/);
  expect(bad.err).not.toContain('plaintext-password');
  expect(await sysdb(['set', 'wifi', 'home', 'passphrase', '-'], '\n')).toMatchObject({ code: 2, err: expect.stringMatching(/standard input was empty/) });
});
