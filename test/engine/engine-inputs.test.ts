// Step inputs on a Docker engine told it cannot see host paths (as a remote one cannot): the
// script, env file, mounted dir and sysroot file reach the step as archives and volumes, named
// caches persist as engine volumes, and none of it is committed into the step's image.
import { execFileSync } from 'node:child_process';
import { openEngine } from '../../lib/engine/open-engine.js';
import { cached, expectOk, importBusyboxRoot, removeTreeArtifacts, ran, runBuild } from '../support/build-harness.js';
import { makeProject, type TestProject } from '../support/project.js';
import { tarballTree } from '../support/tarball-tree.js';

const TREE = `enginputs${process.pid}`;
const remoteLike = openEngine({ ...process.env, STALKER_HOST_PATHS: '0' });
let project: TestProject;

beforeAll(() => {
  project = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: tarballTree('app: { from: "base", stalk: "app" }', { vars: 'who: "remote"', repository: TREE }),
    'stalks/app/app.hjson': `{
      vars: { who: null }
      mounts: [ { src: "data", dest: "/data" } ]
      caches: [ { name: "${TREE}", dest: "/var/cache/${TREE}" } ]
      files: [ { src: "motd", dest: "/etc/motd" } ]
      steps: [ { name: "use", run: "cat /data/x /etc/stalker-sysroot-test > /seen; echo $who >> /seen; echo kept >> /var/cache/${TREE}/count; wc -l < /var/cache/${TREE}/count >> /seen; hostname > /host" } ]
    }`,
    'stalks/app/data/x': 'from the mounted dir\n',
    'stalks/app/motd': 'copied\n',
    'sysroot/etc/stalker-sysroot-test': 'from sysroot\n',
  });
});
beforeAll(() => importBusyboxRoot(), 120_000);
afterAll(async () => {
  await removeTreeArtifacts(TREE);
  execFileSync('docker', ['volume', 'rm', '-f', `stalker-cache-${TREE}`]);
  project.cleanup();
});

const cat = (path: string) => execFileSync('docker', ['run', '--rm', `${TREE}/app:final`, 'cat', path], { encoding: 'utf8' });
const exists = (path: string) =>
  execFileSync('docker', ['run', '--rm', `${TREE}/app:final`, 'sh', '-c', `test -e ${path} && echo yes || echo no`], { encoding: 'utf8' }).trim();

test('inputs go in without binds and are not committed; a named cache is an engine volume that persists', async () => {
  expect(remoteLike.seesHostPaths).toBe(false);
  expectOk(await runBuild(project, { engine: remoteLike }));
  expect(cat('/seen')).toBe('from the mounted dir\nfrom sysroot\nremote\n1\n');
  expect(cat('/etc/motd')).toBe('copied\n');
  expect(cat('/host')).toBe('stalker\n'); // every step's host name, not the build machine's
  for (const path of ['/run/stalker/env', '/data/x', '/etc/stalker-sysroot-test', `/var/cache/${TREE}/count`])
    expect([path, exists(path)]).toEqual([path, 'no']);
  const again = await runBuild(project, { engine: remoteLike, rebuild: ['app'] });
  expectOk(again);
  expect(ran(again)).toEqual(['app:use']);
  expect(cat('/seen')).toMatch(/\n2\n$/); // the cache volume kept the first run's line
}, 120_000);

test('the same keys on the local engine with binds: the archive-fed build is a hit there', async () => {
  const r = await runBuild(project);
  expectOk(r);
  expect(cached(r)).toEqual(['base:bootstrap', 'app:use']);
}, 60_000);
