// `stalker shell` and `stalker export` against the real engine: a shell in a step's image sees the
// step's variables and mounts; --failed opens the state a failed step left; export writes a node's
// root filesystem as a directory or a tar; no container is left behind.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABEL } from '../../lib/engine/labels.js';
import { engine, removeTreeArtifacts } from '../support/build-harness.js';
import { makeProject, type TestProject } from '../support/project.js';
import { tarballTree } from '../support/tarball-tree.js';

const TREE = `inspshell${process.pid}`;
const STALKER = join(process.cwd(), 'bin', 'stalker');
let project: TestProject;
let out: string;

beforeAll(() => {
  project = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: tarballTree('app: { from: "base", stalk: "app" }', { vars: 'who: "shelltester"', repository: TREE }),
    'stalks/app/app.hjson': `{
      vars: { who: null }
      env: { GREETING: "hi {{ who }}" }
      mounts: [ { src: "data", dest: "/data" } ]
      steps: [
        { name: "one", run: "echo $who > /who" }
        { name: "two", run: "echo half-done > /marker; exit 4" }
      ]
    }`,
    'stalks/app/data/x': `x for ${TREE}\n`,
  });
  out = mkdtempSync(join(tmpdir(), 'stalker-export-'));
  const r = spawnSync(STALKER, ['--config', project.tree], { encoding: 'utf8' });
  if (r.status !== 1) throw new Error(`expected the build to fail at app:two: ${r.stdout}${r.stderr}`);
}, 90_000);

afterAll(async () => {
  await removeTreeArtifacts(TREE);
  project.cleanup();
  rmSync(out, { recursive: true, force: true });
});

const cli = (args: string[], input?: string) => spawnSync(STALKER, [args[0], '--config', project.tree, ...args.slice(1)], { encoding: 'utf8', input });

test('shell runs a command in the step image with the step variables and mounts, and passes its exit code', async () => {
  const r = cli(['shell', 'app:one', '--', 'sh', '-c', 'cat /who; echo "$who/$GREETING"; cat /data/x; exit 5']);
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe(`shelltester\nshelltester/hi shelltester\nx for ${TREE}\n`);
  expect(r.status).toBe(5);
  expect(await engine.containers.list({ [LABEL.tree]: TREE })).toEqual([]); // --rm
}, 60_000);

test('without a command it is a shell reading stdin', () => {
  const r = cli(['shell', 'app:one'], 'echo "$who in $(pwd)"; test -d /data && echo mounted\n');
  expect(r.status).toBe(0);
  expect(r.stdout).toBe('shelltester in /\nmounted\n');
}, 60_000);

test('--failed opens the state the failed step left (the newest failed step when none is named)', () => {
  const r = cli(['shell', 'app', '--failed', '--', 'cat', '/marker', '/who']);
  expect(r.stdout).toBe('half-done\nshelltester\n');
  expect(r.status).toBe(0);
  expect(cli(['shell', 'app:two', '--failed', '--', 'true']).status).toBe(0);
  const none = cli(['shell', 'app:one', '--failed']);
  expect(none.status).toBe(1);
  expect(none.stderr).toMatch(/no image .*app:failed-one: step app:one has no kept failed state/);
}, 60_000);

test('a node never built and a node not in the tree say so', () => {
  const unbuilt = cli(['shell', 'app']);
  expect(unbuilt.status).toBe(1);
  expect(unbuilt.stderr).toMatch(/no image .*app:final: app has not been built yet/);
  const unknown = cli(['shell', 'nope']);
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toMatch(/no node nope in tree .* \(nodes: base, app\)/);
}, 30_000);

test('export writes the root filesystem into a directory or a tar file', async () => {
  const dir = join(out, 'root');
  const r = cli(['export', 'app:one', '--output', dir]);
  expect(r.status).toBe(0);
  expect(r.stderr).toMatch(/exported .*app:one to /);
  expect(readFileSync(join(dir, 'who'), 'utf8')).toBe('shelltester\n');
  expect(existsSync(join(dir, 'bin', 'busybox'))).toBe(true);
  const tar = join(out, 'failed.tar');
  expect(cli(['export', 'app:two', '--failed', '-o', tar]).status).toBe(0);
  const names = execFileSync('tar', ['-tf', tar], { encoding: 'utf8' }).split('\n');
  expect(names).toEqual(expect.arrayContaining(['marker', 'who', 'bin/busybox']));
  expect(existsSync(`${tar}.partial`)).toBe(false);
  expect(await engine.containers.list({ [LABEL.tree]: TREE })).toEqual([]);
}, 60_000);

test('export refuses a directory that is not empty, and needs --output', () => {
  const full = join(out, 'full');
  execFileSync('mkdir', ['-p', full]);
  writeFileSync(join(full, 'keep'), 'mine');
  const r = cli(['export', 'app:one', '--output', full]);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/is a directory that is not empty/);
  expect(cli(['export', 'app:one']).stderr).toMatch(/missing --output/);
}, 30_000);
