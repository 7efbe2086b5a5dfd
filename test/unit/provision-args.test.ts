// `stalker provision IMAGE FILE...` and `stalker flash IMAGE --device D --provision FILE...`: the
// command line and the files are checked before anything is written (real images: test/writer/provision.test.ts).
import { jest } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findCommand } from '../../lib/cli/commands.js';
import { FLAGS } from '../../lib/cli/flags.js';
import { commandHelp } from '../../lib/cli/help.js';
import { parseCommandLine } from '../../lib/cli/parse-command-line.js';
import { provisionCommand } from '../../lib/cli/provision-command.js';
import { flashCommand } from '../../lib/flash/flash.js';
import { checkProvisionFiles, PROVISION_FILES } from '../../lib/flash/provision-files.js';
import { StalkerError } from '../../lib/errors.js';

let dir: string;
const file = (rel: string, text: string) => {
  const p = join(dir, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  return p;
};
const GOOD = '{\n  "System": { "hostname": "pi-kitchen" }\n}\n';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stalker-provision-args-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function failure(p: Promise<unknown>): Promise<StalkerError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(StalkerError);
  return e as StalkerError;
}

describe('the command line', () => {
  test('provision takes an IMAGE and at least one FILE', () => {
    const r = parseCommandLine(['provision', 'a.img', 'user-data', 'meta-data']);
    expect(r).toMatchObject({ kind: 'run', command: { name: 'provision' }, invocation: { args: ['a.img', 'user-data', 'meta-data'] } });
    expect(() => parseCommandLine(['provision', 'a.img'])).toThrow(/stalker provision needs IMAGE FILE\.\.\./);
    expect(() => parseCommandLine(['provision', 'a.img', 'x', '--device', 'd'])).toThrow(/does not take --device \(flash does\)/);
  });

  test('flash --provision takes FILE... (the arguments up to the next option) and is repeatable', () => {
    const r = parseCommandLine(['flash', 'a.img', '--provision', 'user-data', 'meta-data', '--device', '/dev/sdz', '--provision=network-config']);
    expect(r.kind).toBe('run');
    if (r.kind === 'run')
      expect(r.invocation.argv).toEqual(['a.img', '--provision', 'user-data', 'meta-data', '--device', '/dev/sdz', '--provision=network-config']);
  });

  test('the help of both commands, and the flag naming every accepted file', () => {
    const provision = commandHelp(findCommand('provision')!);
    expect(provision.split('\n')[0]).toBe('usage: stalker provision IMAGE FILE...');
    expect(provision).toMatch(/^ {2}1 {4}the image is missing/m);
    const flash = commandHelp(findCommand('flash')!);
    expect(flash).toMatch(/^ {6}--provision FILE\.\.\. +then write these files into the card's FAT/m);
    for (const n of PROVISION_FILES) expect(FLAGS.provision.help).toContain(n);
  });
});

describe('checkProvisionFiles', () => {
  test('a name that is not a provisioning file is one line naming the accepted names', async () => {
    const e = await failure(checkProvisionFiles([file('a/provision.json', GOOD)]));
    expect(e.code).toBe('USAGE');
    expect(e.message).toBe(`${join(dir, 'a/provision.json')}: not a provisioning file: the name must be one of ${PROVISION_FILES.join(', ')}`);
  });

  test('one name given twice, a missing file, no file at all', async () => {
    const a = file('one/user-data', '#cloud-config\n');
    const b = file('two/user-data', '#cloud-config\n');
    expect((await failure(checkProvisionFiles([a, b]))).message).toMatch(/two\/user-data: user-data is given twice \(also .*one\/user-data\)/);
    const gone = await failure(checkProvisionFiles([join(dir, 'nowhere/stalker-provision.json')]));
    expect(gone).toMatchObject({ code: 'CONFIG_INVALID', message: `${join(dir, 'nowhere/stalker-provision.json')}: cannot read it: no such file` });
    expect((await failure(checkProvisionFiles([]))).code).toBe('USAGE');
  });

  test('a problem is FILE:line:col: message, FILE as the user gave it', async () => {
    const bad = file('b/stalker-provision.json', '{\n  "System": { "hostname": "not a host name!" }\n}\n');
    const e = await failure(checkProvisionFiles([bad]));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toMatch(new RegExp(`^${bad.replace(/[.]/g, '\\.')}:2:\\d+: System\\.hostname: `));
    const broken = file('c/stalker-provision.json', '{\n  "System": {\n');
    expect((await failure(checkProvisionFiles([broken]))).message).toMatch(new RegExp(`^${broken.replace(/[.]/g, '\\.')}:\\d+:\\d+: not valid JSON`));
  });

  test('files of two formats: the one the device would skip is refused, not written to sit there', async () => {
    const json = file('d/stalker-provision.json', GOOD);
    const ud = file('d/user-data', '#cloud-config\nhostname: pi-kitchen\n');
    const e = await failure(checkProvisionFiles([ud, json]));
    expect(e.code).toBe('USAGE');
    expect(e.message).toMatch(/d\/user-data: the device would not read it: .*stalker-provision\.json takes precedence/);
  });

  test('a good file: its bytes, its name, the state the device will apply', async () => {
    const r = await checkProvisionFiles([file('e/stalker-provision.json', GOOD)]);
    expect(r.files).toEqual([{ path: join(dir, 'e/stalker-provision.json'), name: 'stalker-provision.json', bytes: Buffer.from(GOOD) }]);
    expect(r.provision).toMatchObject({ state: { system: { hostname: 'pi-kitchen' } }, sources: ['stalker-provision.json'], refused: [] });
  });
});

describe('the commands refuse before writing anything', () => {
  test('provision: a bad file or name throws the error main() maps to exit 2, and the image is not opened', async () => {
    const img = join(dir, 'absent.img'); // were it opened, the error would be about the missing image
    expect((await failure(provisionCommand([img, file('f/stalker-provision.json', '{')]))).code).toBe('CONFIG_INVALID');
    expect((await failure(provisionCommand([img, file('f/other.txt', 'x')]))).code).toBe('USAGE');
    expect((await failure(provisionCommand([img, file('g/stalker-provision.json', GOOD)]))).message).toMatch(/absent\.img does not exist/);
  });

  test('flash: usage and file problems exit 2 before the target is touched', async () => {
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const target = join(dir, 'never.img');
      const image = file('h/test.img', 'x');
      expect(await flashCommand([image, '--device', target, '--allow-file', '--yes', '--provision'])).toBe(2);
      expect(await flashCommand([image, '--device', target, '--allow-file', '--yes', '--provision', file('h/x.toml', '')])).toBe(2);
      expect(await flashCommand([image, '--device', target, '--allow-file', '--yes', '--provision', file('i/stalker-provision.json', '[1]')])).toBe(2);
      expect(await flashCommand([image, 'extra', '--device', target])).toBe(2);
      expect(existsSync(target)).toBe(false);
      const said = err.mock.calls.map((c) => String(c[0])).join('');
      expect(said).toContain('stalker flash: --provision needs a FILE');
      expect(said).toMatch(/h\/x\.toml: not a provisioning file: the name must be one of/);
      expect(said).toMatch(/i\/stalker-provision\.json:1:1: /);
      expect(said).toContain('stalker flash: unknown argument extra');
    } finally {
      err.mockRestore();
    }
  });
});
