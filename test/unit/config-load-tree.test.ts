import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTree } from '../../lib/config/load-tree.js';
import type { ResolvedNode, ResolvedTree } from '../../lib/config/types.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/config/good');
let tree: ResolvedTree;
const node = (n: string) => tree.nodes.get(n) as ResolvedNode;

beforeAll(async () => {
  tree = await loadTree(join(root, 'trees/good/good.hjson'));
});

test('tree-level fields, root defaults to two dirs above the tree file', () => {
  expect(tree).toMatchObject({ name: 'good', root, repository: 'stalker-test', platform: 'linux/amd64' });
  expect([...tree.nodes.keys()]).toEqual(['base', 'armbase', 'tarroot', 'imgroot', 'app', 'tools', 'subtools', 'armapp', 'img']);
  const order = tree.order as string[];
  for (const [a, b] of [
    ['base', 'app'],
    ['app', 'img'],
    ['tools', 'img'],
    ['tools', 'subtools'],
    ['armbase', 'armapp'],
  ])
    expect(order.indexOf(a)).toBeLessThan(order.indexOf(b));
});

test('bootstrap kinds with defaults; arch derived from the platform', () => {
  expect(node('base').bootstrap).toEqual({
    kind: 'debootstrap',
    suite: 'bookworm',
    arch: 'amd64',
    variant: 'minbase',
    components: ['main'],
    include: [],
    mirror: 'http://deb.debian.org/debian',
  });
  expect(node('armbase')).toMatchObject({ platform: 'linux/arm64', bootstrap: { arch: 'arm64', include: ['ca-certificates'] } });
  expect(node('tarroot').bootstrap).toMatchObject({ kind: 'tarball', file: join(root, 'trees/good/rootfs.tar') });
  expect(node('imgroot').bootstrap).toEqual({ kind: 'image', ref: `sha256:${'0123456789abcdef'.repeat(4)}` });
  expect(node('base').steps).toEqual([]);
});

test('vars: stalk default < tree vars < node vars, stringified, only declared ones', () => {
  expect(node('app').vars).toEqual({ greeting: 'hello from tree', port: '8080', level: '3', debug: 'false' });
  expect(node('armapp').vars).toMatchObject({ greeting: 'node wins', port: '9' });
  expect(node('app').steps[0].env).not.toHaveProperty('unused');
});

test('children are sugar for from; stalk defaults to the node name; platform inherited from the parent', () => {
  expect(node('tools')).toMatchObject({ from: 'base', stalk: { name: 'tools' } });
  expect(node('subtools')).toMatchObject({ from: 'tools', stalk: { name: 'tools' } });
  expect(node('armapp').platform).toBe('linux/arm64');
});

test('copies: paths normalized, sources added to needs once, landing on the first step only', () => {
  const copies = [
    { from: 'app', src: '/srv/app', dest: '/opt/app' },
    { from: 'subtools', src: '/usr/bin/tool', dest: '/usr/local/bin/tool' },
  ];
  expect(node('armapp')).toMatchObject({ needs: ['app', 'subtools'], copies });
  expect(node('armapp').steps[0].copies).toEqual(copies);
  expect(
    node('armapp')
      .steps.slice(1)
      .every((s) => s.copies.length === 0),
  ).toBe(true);
  expect(node('app').copies).toEqual([]);
  const order = tree.order as string[];
  expect(order.indexOf('subtools')).toBeLessThan(order.indexOf('armapp'));
});

test('writer node: options passed on with {{ var }} rendered from tree and node vars; no steps', () => {
  expect(node('img')).toMatchObject({ from: 'app', needs: ['tools'], steps: [] });
  expect(node('img').writer?.options).toEqual({
    output: 'out/lite.img',
    resolvConf: '# hello from tree-lite',
    layout: { root: { label: 'lite' }, boot: { size: 4194304 } },
  });
});

test('steps: scripts, shebangs, args, env precedence, cache flag', () => {
  const steps = node('app').steps;
  expect(steps.map((s) => s.name)).toEqual(['hello', 'py', 'plug', 'python']);
  expect(steps[0].script.content.toString()).toBe('#!/bin/sh -e\necho hi\n');
  expect(steps[0].script.origin).toMatch(/app\.hjson#steps\[0\]\.run$/);
  expect(steps[3].script.content.toString()).toBe('#!/usr/bin/python3\nprint(1)\n');
  expect(steps[1].script.origin).toBe(join(root, 'stalks/app/show.py'));
  expect(steps[1].args).toEqual(['8080', '2']);
  expect(steps[2].script.origin).toBe(join(root, 'plugins/say.sh'));
  expect(steps[2].cache).toBe(false);
  expect(steps[0].env).toEqual({
    greeting: 'hello from tree',
    port: '8080',
    level: '3',
    debug: 'false',
    APP_MSG: 'hello from tree on 8080',
    PLAIN: '1',
  });
  expect(steps[2].env).toMatchObject({ X: '3', APP_MSG: 'step wins' });
  expect(steps[0].secrets).toEqual(['API_TOKEN']);
  expect(steps[0].script.sha256).toMatch(/^[0-9a-f]{64}$/);
});

test('files: templates rendered, copies on the first step only, mounts on every step', () => {
  const [first, second] = node('app').steps;
  const byTarget = Object.fromEntries(first.files.map((f) => [f.target, f]));
  expect(Object.keys(byTarget).sort()).toEqual(['/etc/app.conf', '/etc/motd', '/opt/plain.bin', '/usr/local/bin/run.sh']);
  expect(byTarget['/etc/motd'].content.toString()).toBe('Welcome: hello from tree (port 8080), literal {{ kept\n');
  expect(byTarget['/etc/motd'].mode).toBe(0o644);
  expect(byTarget['/usr/local/bin/run.sh'].mode).toBe(0o755);
  expect(byTarget['/opt/plain.bin'].content.toString()).toContain('{{ not a template }}');
  expect(byTarget['/etc/app.conf']).toMatchObject({ how: 'mount', content: Buffer.from('level=3\n') });
  expect(second.files.map((f) => f.target)).toEqual(['/etc/app.conf']);
  expect(
    node('armapp')
      .steps[0].files.find((f) => f.target === '/etc/motd')
      ?.content.toString(),
  ).toContain('node wins (port 9)');
});

test('mounts: stalk mounts hashed, ro by default; sysroot files mounted ro at the same path', () => {
  const m = node('app').steps[1].mounts;
  expect(m.map((x) => [x.target, x.readOnly])).toEqual([
    ['/data', true],
    ['/srv/plain.bin', false],
    ['/usr/local/bin/helper.sh', true],
  ]);
  expect(m[0].source).toBe(join(root, 'stalks/app/data'));
  expect(m.every((x) => /^[0-9a-f]{64}$/.test(x.sha256))).toBe(true);
  expect(node('tools').steps[0].mounts.map((x) => x.target)).toEqual(['/usr/local/bin/helper.sh']);
  expect(node('app').steps[0].caches).toEqual([{ name: 'apt', target: '/var/cache/apt/archives' }]);
});
