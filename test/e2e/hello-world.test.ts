// trees/hello_world built the way a user builds it: the real CLI in its own process against the
// real engine. The first build may take minutes (two debootstraps, one under qemu-user); after
// that the engine's images are reused, even by a fresh checkout with no logs/ and no named caches.
// So the test checks what the images hold, and forces the nodes whose logs and caches it reads to
// run again with --rebuild (which is itself under test).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TREE = 'trees/hello_world/hello_world.hjson';
const REPO = 'hello';

function stalker(...args: string[]) {
  const r = spawnSync(join(ROOT, 'bin/stalker'), [...args, '--config', TREE], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 10 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

function inImage(node: string, script: string, platform = 'linux/amd64'): string {
  const r = spawnSync('docker', ['run', '--rm', '--platform', platform, `${REPO}/${node}:final`, 'sh', '-c', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker run ${REPO}/${node}:final sh -c '${script}' exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const summary = (stdout: string) => /done in [\d.]+s: (\d+) ran, (\d+) cached, (\d+) failed, (\d+) skipped/.exec(stdout);

describe('trees/hello_world through bin/stalker', () => {
  test(
    'builds with exit code 0',
    () => {
      const r = stalker();
      if (r.code !== 0) throw new Error(`bin/stalker exited ${r.code}\n${r.stdout}\n${r.stderr}\n${r.error ?? ''}`);
      const m = summary(r.stdout);
      expect(m).not.toBeNull();
      expect(Number(m![3])).toBe(0); // failed
      expect(Number(m![4])).toBe(0); // skipped
      expect(Number(m![1]) + Number(m![2])).toBe(9); // 2 bootstraps + 7 steps, each ran or reused
    },
    15 * 60_000,
  );

  test(
    '--rebuild reruns the named nodes and what depends on them, and reuses the rest',
    () => {
      const plan = stalker('plan', '--json', '--rebuild', 'greeter', '--rebuild', 'tools', '--rebuild', 'armhello');
      expect(plan.code).toBe(0);
      const nodes = JSON.parse(plan.stdout) as { node: string; steps: { step: string; state: string }[] }[];
      const rerun = new Set(['greeter', 'tools', 'armhello', 'hello']);
      const stepsOf = (want: boolean) => nodes.filter((n) => rerun.has(n.node) === want).flatMap((n) => n.steps.map((s) => `${n.node}:${s.step}`));
      const r = stalker('--progress', 'plain', '--rebuild', 'greeter', '--rebuild', 'tools', '--rebuild', 'armhello');
      if (r.code !== 0) throw new Error(`bin/stalker exited ${r.code}\n${r.stdout}\n${r.stderr}`);
      const m = summary(r.stdout);
      expect(m!.slice(1, 5).map(Number)).toEqual([stepsOf(true).length, stepsOf(false).length, 0, 0]); // bootstraps are steps too
      for (const step of stepsOf(true)) expect(r.stdout).toContain(`${step} done in`);
      for (const step of stepsOf(false)) expect(r.stdout).not.toContain(`${step} done in`);
    },
    10 * 60_000,
  );

  test('base: the motd template is rendered with the tree vars', () => {
    expect(inImage('base', 'cat /etc/motd')).toBe('Hello, world!\nThis image was built by stalker from trees/hello_world.\n');
  }, 60_000);

  test('base: the sysroot tool ran in the step and left its note', () => {
    expect(inImage('base', 'cat /etc/stalker/notes')).toBe('motd: Hello, world!\n');
    // sysroot files are mounted, never committed: at most docker's empty mount point remains
    expect(inImage('base', 'test -s /usr/local/bin/stalker-note && echo committed || echo absent')).toBe('absent\n');
  }, 60_000);

  test('greeter: python read the vars (node override included) and the stalk env', () => {
    expect(inImage('greeter', 'cat /srv/hello/greeting.txt')).toBe('greeting=Hello\nwho=stalker\nline=Hello, stalker!\n');
  }, 60_000);

  test('banner: the plugin got its args, templated, one line per argument', () => {
    expect(inImage('banner', 'cat /srv/hello/banner.txt')).toBe('*** Hello ***\nto: world\ntwo words stay one arg\n');
  }, 60_000);

  test('data: the mounted host directory was read, and the mount itself was not committed', () => {
    const sums = inImage('data', 'cd /srv/hello/data && cat hello.txt docs/readme.txt && sha256sum -c SHA256SUMS');
    expect(sums).toContain('hello from a mounted host directory\n');
    expect(sums).toContain('nested files come along too\n');
    expect(sums).toContain('./hello.txt: OK');
    // the mount point may remain as an empty directory; the mounted files must not
    expect(inImage('data', 'ls -A /mnt/content 2>/dev/null || true')).toBe('');
  }, 60_000);

  test('tools: jq is installed; its .deb sits in the named apt cache on the host, not in the image', () => {
    expect(inImage('tools', 'jq --version')).toMatch(/^jq-1\./);
    expect(inImage('tools', 'ls /var/cache/apt/archives/ | grep -c "\\.deb$" || true').trim()).toBe('0');
    const cacheDir = process.env.STALKER_CACHE_DIR ?? join(ROOT, '.stalker', 'caches');
    const apt = join(cacheDir, 'apt');
    expect(existsSync(apt)).toBe(true);
    expect(readdirSync(apt).some((f) => /^jq_.*\.deb$/.test(f))).toBe(true);
  }, 60_000);

  test('armhello: the arm64 step saw aarch64', () => {
    expect(inImage('armhello', 'cat /srv/hello/arch', 'linux/arm64')).toBe('aarch64\n');
    expect(inImage('armhello', 'cat /etc/stalker/notes', 'linux/arm64')).toBe('arch: aarch64\n');
  }, 60_000);

  test('hello: the fan-in starts from tools, ran after every needed branch and read files copied from two of them', () => {
    const manifest = JSON.parse(inImage('hello', 'cat /srv/hello/manifest.json')) as unknown;
    expect(manifest).toEqual({
      greeting: 'Hello',
      who: 'world',
      built_after: ['greeter', 'banner', 'data', 'armhello'],
      greeter_line: 'Hello, stalker!',
      armhello_arch: 'aarch64',
    });
    expect(inImage('hello', 'cat /srv/hello/from/greeter.txt')).toBe(inImage('greeter', 'cat /srv/hello/greeting.txt'));
  }, 60_000);

  test(
    'a second run runs nothing',
    () => {
      const r = stalker();
      expect(r.code).toBe(0);
      const m = summary(r.stdout);
      expect(m).not.toBeNull();
      expect(m!.slice(1, 5).map(Number)).toEqual([0, 9, 0, 0]);
      expect(r.stdout).not.toMatch(/ running/);
    },
    5 * 60_000,
  );

  test("stalker logs NODE:STEP prints that step's output", () => {
    const greet = stalker('logs', 'greeter:greet');
    expect(greet.code).toBe(0);
    expect(greet.stdout).toContain('wrote /srv/hello/greeting.txt for stalker');
    const arch = stalker('logs', 'armhello:uname');
    expect(arch.code).toBe(0);
    expect(arch.stdout).toContain('aarch64');
  }, 60_000);

  test('stalker logs of an unknown step fails with the list of steps', () => {
    const r = stalker('logs', 'greeter:nope');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no step nope.*greet/);
  }, 60_000);
});
