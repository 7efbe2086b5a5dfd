// trees/hello_world on each rootless backend, as an ordinary user: two mmdebstrap roots (run as
// that user: mmdebstrap picks its unshare mode), every kind of step (an inline script, a python
// script with vars, a plugin with args, a read-only host mount, apt with a named cache, an arm64
// branch), the fan-in that copies files out of two branches; then a rerun that is all hits.
// Heavy (a debootstrap under qemu-user per backend): run it under the shared lock.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chownTo, type RootlessUser, rootlessUser, stalkerAs, userDir } from '../support/rootless-user.js';

const TREE = 'trees/hello_world/hello_world.hjson';
let user: RootlessUser;

beforeAll(() => {
  user = rootlessUser();
});

describe.each(['userns', 'proot'])('trees/hello_world on --engine %s', (engine) => {
  let project: string;
  let work: string;
  const run = (args: string[], command: string[] = []) => {
    const r = stalkerAs(user, join(work, 'store'), [...args, '--config', join(project, TREE), ...command], { STALKER_ENGINE: engine });
    return { ...r, all: `${r.stdout}\n${r.stderr}` };
  };
  const inImage = (node: string, cmd: string) => {
    const r = run(['shell', node], ['--', 'sh', '-c', cmd]);
    if (r.status !== 0) throw new Error(`shell ${node} -- ${cmd}: exit ${r.status}\n${r.all}`);
    return r.stdout;
  };

  beforeAll(() => {
    work = userDir(user);
    project = mkdtempSync('/tmp/stalker-hw-');
    for (const d of ['trees/hello_world', 'stalks', 'plugins', 'sysroot']) cpSync(d, join(project, d), { recursive: true });
    chownTo(user, project);
  });

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
    rmSync(project, { recursive: true, force: true });
  });

  test(
    'builds: every step ran, the fan-in last, with the files of its branches',
    () => {
      const r = run(['--progress', 'plain']);
      if (r.status !== 0) throw new Error(`exit ${r.status}\n${r.all}`);
      expect(r.stdout).toMatch(/9 ran, 0 cached, 0 failed, 0 skipped/);
      expect(inImage('greeter', 'cat /srv/hello/greeting.txt')).toBe('greeting=Hello\nwho=stalker\nline=Hello, stalker!\n');
      expect(inImage('banner', 'cat /srv/hello/banner.txt')).toBe('*** Hello ***\nto: world\ntwo words stay one arg\n');
      expect(inImage('data', 'cd /srv/hello/data && sha256sum -c SHA256SUMS')).toContain('./hello.txt: OK');
      expect(inImage('tools', 'jq --version')).toMatch(/^jq-1\./);
      expect(inImage('armhello', 'cat /srv/hello/arch')).toBe('aarch64\n');
      // mmdebstrap copied the build host's /etc/hostname into the roots: the bootstrap empties it (as
      // it does /etc/resolv.conf, which a step sees bound to the host's), so one base key holds the
      // same bytes on every builder
      for (const root of ['base', 'armbase']) expect(inImage(root, 'cat /etc/hostname')).toBe('');
      expect(JSON.parse(inImage('hello', 'cat /srv/hello/manifest.json'))).toEqual({
        greeting: 'Hello',
        who: 'world',
        built_after: ['greeter', 'banner', 'data', 'armhello'],
        greeter_line: 'Hello, stalker!',
        armhello_arch: 'aarch64',
      });
    },
    20 * 60_000,
  );

  test(
    'a rerun is all cache hits',
    () => {
      const r = run(['--progress', 'plain']);
      if (r.status !== 0) throw new Error(`exit ${r.status}\n${r.all}`);
      expect(r.stdout).toMatch(/0 ran, 9 cached/);
    },
    5 * 60_000,
  );
});
