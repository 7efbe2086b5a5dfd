// stalker-provision at boot against a real ovsdb-server: files applied through sysdb apply's path
// (audited as provision:FILE@HOST, no secret in the entry), merged onto what is there, deleted from
// the boot directory; a broken file moved to the 0700 rejected directory, nothing written, exit 0.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import { runProvision } from '../../lib/device/provision/provision-main.js';
import { OvsdbServer } from './helpers/ovsdb-server.js';
import { sysdbOn } from './helpers/sysdb-in-process.js';

jest.setTimeout(60_000);
let server: OvsdbServer;
let boot: string;
let rejected: string;
beforeEach(async () => {
  server = new OvsdbServer();
  await server.start();
  boot = mkdtempSync(path.join(os.tmpdir(), 'boot-'));
  rejected = path.join(server.dir, 'provision', 'rejected');
});
afterEach(async () => {
  await server.dispose();
  rmSync(boot, { recursive: true, force: true });
});

const sysdb = (args: string[], stdin?: string) => sysdbOn(server.remote, args, stdin);
async function provision() {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runProvision({ boot, remote: server.remote, rejected, host: 'raspi' }, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}
const PRESEED = `config_version = "1.0"

[system]
hostname = "mypi"

[wlan]
ssid = "Home Net"
password = "correct horse battery"
password_encrypted = false
country = "DE"

[locale]
keymap = "de"
`;

it('no file: exit 0, nothing printed, nothing written', async () => {
  expect(await provision()).toEqual({ code: 0, out: [], err: [] });
  expect((await sysdb(['audit'])).out).not.toContain('provision');
});

it('rpi-preseed.toml is merged onto the configuration, audited as provision:FILE@HOST without the passphrase, and deleted', async () => {
  await sysdb(
    ['apply', '-'],
    JSON.stringify({ system: { timezone: 'Etc/UTC', log_level: 'info', hostname: 'raspi' }, wifi: { office: { security: 'open' } } }),
  );
  writeFileSync(path.join(boot, 'rpi-preseed.toml'), PRESEED);
  const r = await provision();
  expect(r.code).toBe(0);
  expect(r.out[r.out.length - 1]).toMatch(/^stalker-provision: applied 2 change\(s\) from rpi-preseed\.toml \(audit entry 2\)$/);
  expect(r.err).toEqual(['stalker-provision: warning: rpi-preseed.toml:13:1: locale.keymap: the image has no console keymap (it is managed over the network)']);
  expect(existsSync(path.join(boot, 'rpi-preseed.toml'))).toBe(false);
  const state = JSON.parse((await sysdb(['export', '--secrets'])).out);
  expect(state.system).toEqual({ hostname: 'mypi', timezone: 'Etc/UTC', log_level: 'info', country: 'DE' });
  expect(state.wifi).toEqual({ office: { security: 'open' }, 'Home Net': { security: 'wpa2-psk', passphrase: 'correct horse battery' } });
  const audit = await sysdb(['audit', 'show', '2']);
  expect(audit.out).toContain('provision:rpi-preseed.toml@raspi');
  expect(audit.out).not.toContain('correct horse');
  expect((await sysdb(['audit', 'verify'])).code).toBe(0);
  // a later boot with the same state changes nothing
  writeFileSync(path.join(boot, 'rpi-preseed.toml'), PRESEED);
  expect((await provision()).out).toEqual(['stalker-provision: rpi-preseed.toml: no changes']);
});

it('a broken file is moved to the rejected directory (0700, 0600), nothing changes, exit 0 with the problem on stderr', async () => {
  writeFileSync(path.join(boot, 'stalker-provision.json'), '{"wifi": {"x": {"passphrase": "hunter2hunter2"}},\n "system": {"country": "Germany"}}');
  const before = (await sysdb(['audit'])).out;
  const r = await provision();
  expect(r.code).toBe(0);
  expect(r.err[0]).toMatch(/^stalker-provision: stalker-provision\.json:2:13: system\.country: bad value "Germany"/);
  expect(r.err[r.err.length - 1]).toMatch(
    /^stalker-provision: stalker-provision\.json not applied \(1 problem\(s\)\); moved to .*rejected.*; booting with the image's configuration$/,
  );
  expect(r.err.join('\n')).not.toContain('hunter2');
  expect(readdirSync(boot)).toEqual([]);
  const [moved] = readdirSync(rejected);
  expect(moved).toMatch(/-stalker-provision\.json$/);
  expect(statSync(rejected).mode & 0o777).toBe(0o700);
  expect(statSync(path.join(rejected, moved)).mode & 0o777).toBe(0o600);
  expect((await sysdb(['audit'])).out).toBe(before);
});

it('the database unreachable: the files stay for the next boot, exit 1', async () => {
  writeFileSync(path.join(boot, 'rpi-preseed.toml'), PRESEED);
  await server.stop();
  const r = await provision();
  expect(r.code).toBe(1);
  expect(r.err.join('\n')).toMatch(/left for the next boot/);
  expect(existsSync(path.join(boot, 'rpi-preseed.toml'))).toBe(true);
});
