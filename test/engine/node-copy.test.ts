// `copy` takes paths from another node's final image (here from an amd64 node into an arm64 one)
// before the first step: contents, modes, owners and links arrive; the source is a key input; a
// missing path is a clear error that moves no tag; no helper container is left behind.
import { execFileSync } from 'node:child_process';
import { LABEL } from '../../lib/engine/labels.js';
import { StalkerError } from '../../lib/errors.js';
import { busyboxRoot } from '../support/busybox-root.js';
import { cached, engine, expectOk, ran, removeTreeArtifacts, runBuild } from '../support/build-harness.js';
import { makeProject, type TestProject } from '../support/project.js';
import { tarballTree } from '../support/tarball-tree.js';

const TREE = `copyt${process.pid}`;
const REPO = `copyt${process.pid}`;
let project: TestProject;

const inImage = (script: string) =>
  execFileSync('docker', ['run', '--rm', '--platform', 'linux/arm64', `${REPO}/user:final`, 'sh', '-c', script], { encoding: 'utf8' });
const tags = (repo: string) => execFileSync('docker', ['images', '--format', '{{.Tag}}', repo], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();

function userNode(copies: string): string {
  const arm = busyboxRoot('arm64');
  return `
    maker: { from: "base", stalk: "maker" }
    armbase: { platform: "linux/arm64", bootstrap: { kind: "tarball", file: "${arm.file}", sha256: "${arm.sha256}" } }
    user: { from: "armbase", stalk: "user", copy: [${copies}] }`;
}

const COPIES = `
  { from: "maker", src: "/out/dir", dest: "/opt/got/dir" }
  { from: "maker", src: "/out/single.txt", dest: "/usr/local/bin/single" }`;

beforeAll(() => {
  project = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: tarballTree(userNode(COPIES), { repository: REPO, vars: 'flavor: "one"' }),
    'stalks/maker/maker.hjson': `{ vars: { flavor: "" }, steps: [ { name: "make", run: '''
      mkdir -p /out/dir/sub
      echo "a $flavor" > /out/dir/a.txt
      echo b > /out/dir/sub/b.txt
      chmod 750 /out/dir/sub
      chown 1234:5678 /out/dir/sub/b.txt
      ln -s a.txt /out/dir/link
      ln /out/dir/a.txt /out/dir/hard
      printf '#!/bin/sh\\necho single\\n' > /out/single.txt
      chmod 755 /out/single.txt
      ''' } ] }`,
    'stalks/user/user.hjson': `{ steps: [
      { name: "look", run: "uname -m > /arch; cat /opt/got/dir/a.txt > /seen-by-step" }
      { name: "later", run: "test -f /opt/got/dir/sub/b.txt && echo ok > /later" }
    ] }`,
  });
});

afterAll(async () => {
  await removeTreeArtifacts(TREE);
  project.cleanup();
});

test('paths of an amd64 node arrive in an arm64 node before its first step, with modes, owners and links', async () => {
  const r = await runBuild(project);
  expectOk(r);
  expect(ran(r)).toEqual(expect.arrayContaining(['maker:make', 'user:look', 'user:later']));
  expect(inImage('cat /arch /seen-by-step /later')).toBe('aarch64\na one\nok\n');
  expect(inImage('cat /opt/got/dir/sub/b.txt; stat -c "%a %u:%g" /opt/got/dir/sub /opt/got/dir/sub/b.txt')).toBe('b\n750 0:0\n644 1234:5678\n');
  expect(inImage('readlink /opt/got/dir/link; [ "$(stat -c %i /opt/got/dir/a.txt)" = "$(stat -c %i /opt/got/dir/hard)" ] && echo same-inode')).toBe(
    'a.txt\nsame-inode\n',
  );
  expect(inImage('stat -c %a /usr/local/bin/single; /usr/local/bin/single; ls /opt/got')).toBe('755\nsingle\ndir\n');
  expect(await engine.containers.list({ [LABEL.tree]: TREE })).toEqual([]); // the source containers are gone
}, 120_000);

test('the source node is a key input: unchanged it is all cached; changed, the copying node reruns', async () => {
  const again = await runBuild(project);
  expectOk(again);
  expect(ran(again)).toEqual([]);
  project.write(`trees/${TREE}/${TREE}.hjson`, tarballTree(userNode(COPIES), { repository: REPO, vars: 'flavor: "two"' }));
  const changed = await runBuild(project);
  expectOk(changed);
  expect(ran(changed).sort()).toEqual(['maker:make', 'user:later', 'user:look']);
  expect(cached(changed)).toContain('armbase:bootstrap');
  const look = changed.events.find((e) => e.type === 'step-start' && e.node === 'user' && e.step === 'look');
  expect(look).toMatchObject({ reasons: [expect.objectContaining({ part: 'need', name: 'maker' })] });
  expect(inImage('cat /seen-by-step')).toBe('a two\n');
}, 120_000);

test('a path missing from the source image fails the step by name and moves no tag', async () => {
  const before = tags(`${REPO}/user`);
  project.write(
    `trees/${TREE}/${TREE}.hjson`,
    tarballTree(userNode('{ from: "maker", src: "/out/nope", dest: "/x" }'), { repository: REPO, vars: 'flavor: "two"' }),
  );
  const r = await runBuild(project);
  expect(r.summary.ok).toBe(false);
  const err = r.summary.errors[0] as StalkerError;
  expect(err).toBeInstanceOf(StalkerError);
  expect(err.message).toBe("step user:look: copy from maker: /out/nope does not exist in maker's final image");
  expect(tags(`${REPO}/user`)).toEqual(before);
  expect(await engine.containers.list({ [LABEL.tree]: TREE })).toEqual([]);
}, 120_000);
