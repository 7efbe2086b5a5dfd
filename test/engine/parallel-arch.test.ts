// Independent branches overlap in time (seen in the events, not the wall clock), and an arm64
// node runs under qemu-user binfmt.
import { execFileSync } from 'node:child_process';
import { expectOk, removeTreeArtifacts, runBuild } from '../support/build-harness.js';
import { makeProject, type TestProject } from '../support/project.js';
import { tarballTree } from '../support/tarball-tree.js';

const TREE = `part${process.pid}`;
const ARM = `armt${process.pid}`;
const projects: TestProject[] = [];

afterAll(async () => {
  await removeTreeArtifacts(TREE);
  await removeTreeArtifacts(ARM);
  for (const p of projects) p.cleanup();
});

test('two independent branches run concurrently', async () => {
  const p = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: tarballTree(`
      left: { from: "base", stalk: "nap" }
      right: { from: "base", stalk: "nap", vars: { side: "right" } }`),
    'stalks/nap/nap.hjson': '{ vars: { side: "left" }, steps: [ { name: "sleep", run: "sleep 2; echo $side > /side" } ] }',
  });
  projects.push(p);
  const r = await runBuild(p, { jobs: 2, noCache: true });
  expectOk(r);
  const at = (type: string, node: string) => r.events.find((e) => e.type === type && 'node' in e && e.node === node)!.time;
  // Each branch started before the other finished.
  expect(at('step-start', 'right')).toBeLessThan(at('step-done', 'left'));
  expect(at('step-start', 'left')).toBeLessThan(at('step-done', 'right'));
}, 60_000);

test('an arm64 node runs arm64 code and its image says arm64', async () => {
  const p = makeProject(ARM, {
    [`trees/${ARM}/${ARM}.hjson`]: tarballTree('arm: { from: "base", stalk: "arch" }', { arch: 'arm64' }),
    'stalks/arch/arch.hjson': '{ steps: [ { name: "uname", run: "uname -m | tee /arch" } ] }',
  });
  projects.push(p);
  const r = await runBuild(p);
  expectOk(r);
  expect(r.events).toContainEqual(expect.objectContaining({ type: 'step-output', node: 'arm', line: 'aarch64' }));
  const arch = execFileSync('docker', ['image', 'inspect', '--format', '{{.Architecture}}', 'stalkertest/arm:final'], { encoding: 'utf8' });
  expect(arch.trim()).toBe('arm64');
}, 90_000);
