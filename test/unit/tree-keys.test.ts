// Every key of a tree from the config alone (no engine): keys chain from the root's content
// identity through each step, needs carry the needed node's final key, and nothing engine-local
// (an image id) ever enters.
import { treeKeys } from '../../lib/plan/tree-keys.js';
import { fakeProject, type FakeProject, type NodeDef } from '../support/fake-tree.js';

let project: FakeProject;
beforeAll(async () => {
  project = await fakeProject('keys');
});
afterAll(() => project.cleanup());

const nodes = (over: Partial<Record<string, NodeDef>> = {}): Record<string, NodeDef> =>
  ({
    base: { bootstrap: 'tarball' },
    tools: { from: 'base', steps: [{ name: 'make', run: 'write /t 1' }] },
    app: {
      from: 'base',
      needs: ['tools'],
      steps: [
        { name: 'one', run: 'write /a 1' },
        { name: 'two', run: 'write /b 2' },
      ],
    },
    img: { from: 'app', writer: { output: 'out/x.img' } },
    ...over,
  }) as Record<string, NodeDef>;
const keysOf = (n = nodes(), executor = 'docker') => treeKeys(project.tree(n), executor);
const key = (k: ReturnType<typeof keysOf>, target: string) => {
  const [node, step] = target.split(':');
  return k.get(node)!.steps.find((s) => s.step === step)!;
};

test("each step hashes its parent step's key; a needing step the needed node's final key; a writer its input's", () => {
  const k = keysOf();
  const one = key(k, 'app:one');
  expect(one.kind === 'script' && one.parts.parent).toBe(key(k, 'base:bootstrap').key);
  expect(one.kind === 'script' && one.parts.needs).toEqual({ tools: key(k, 'tools:make').key });
  const two = key(k, 'app:two');
  expect(two.kind === 'script' && two.parts.parent).toBe(one.key);
  expect(k.get('app')!.final).toBe(two.key);
  const write = key(k, 'img:write');
  expect(write.kind === 'writer' && write.parts.input).toBe(two.key);
  expect(k.get('img')!.final).toBe(two.key);
});

test('the same config gives the same keys; a change upstream changes every key downstream, and only those', () => {
  expect(JSON.stringify([...keysOf()])).toBe(JSON.stringify([...keysOf()]));
  const changed = keysOf(nodes({ tools: { from: 'base', steps: [{ name: 'make', run: 'write /t 2' }] } }));
  const before = keysOf();
  for (const t of ['base:bootstrap']) expect(key(changed, t).key).toBe(key(before, t).key);
  for (const t of ['tools:make', 'app:one', 'app:two', 'img:write']) expect(key(changed, t).key).not.toBe(key(before, t).key);
});

test('the executor is a key part of every container step; a root bootstrap is content only', () => {
  const other = keysOf(nodes(), 'rootless');
  const before = keysOf();
  expect(key(other, 'base:bootstrap').key).toBe(key(before, 'base:bootstrap').key);
  expect(key(other, 'app:one').key).not.toBe(key(before, 'app:one').key);
});

test('an image bootstrap is keyed by its pinned reference; a tarball by its sha256, not its path', () => {
  const a = keysOf(nodes({ base: { bootstrap: { image: 'sha256:aaa' } } }));
  const b = keysOf(nodes({ base: { bootstrap: { image: 'sha256:bbb' } } }));
  expect(key(a, 'base:bootstrap').key).not.toBe(key(b, 'base:bootstrap').key);
  const boot = key(keysOf(), 'base:bootstrap');
  expect(boot.kind === 'bootstrap' && boot.parts.bootstrap).toEqual({ kind: 'tarball', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
});

test("a writer's key (the seed of the disk's ids) is the same for the same tree in another directory", async () => {
  const elsewhere = await fakeProject('keys');
  try {
    expect(elsewhere.tree(nodes()).root).not.toBe(project.tree(nodes()).root);
    expect(key(treeKeys(elsewhere.tree(nodes()), 'docker'), 'img:write').key).toBe(key(keysOf(), 'img:write').key);
  } finally {
    elsewhere.cleanup();
  }
});
