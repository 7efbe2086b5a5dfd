// The small pieces under the loader: positions, templates, names, content hashes, the tree graph.
import { chmodSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearHashMemo, hashPath } from '../../lib/config/content-hash.js';
import { mapPositions } from '../../lib/config/hjson-positions.js';
import { nodeNameProblem, repositoryProblem, stepNameProblem } from '../../lib/config/names.js';
import { parseTemplate, render, undefinedVars } from '../../lib/config/template.js';
import { closest } from '../../lib/config/suggest.js';
import { buildTreeGraph, downstreamOf, findCycles, topologicalOrder } from '../../lib/graph/tree-graph.js';

describe('hjson positions', () => {
  const text = [
    '# comment {',
    'a: 1 # trailing',
    'b: quoteless, with: punct [x]',
    "c: { d: [1, 'two', \"th\\\"ree\"], e: '''",
    '  multi }',
    "  '''",
    '  f: 0.5, g: true',
    '}',
    '"h/i": /* x */ null',
    'a: dup',
  ].join('\n');
  const m = mapPositions(text);
  test.each([
    ['/a', 10, 1, 10, 4], // the last of duplicate keys wins, as in Hjson.parse
    ['/b', 3, 1, 3, 4],
    ['/c', 4, 1, 4, 4],
    ['/c/e', 4, 32, 4, 35],
    ['/c/f', 7, 3, 7, 6],
    ['/c/g', 7, 11, 7, 14],
    ['/h~1i', 9, 1, 9, 16],
  ])('%s', (ptr, kl, kc, vl, vc) => {
    expect(m.at.get(ptr)).toEqual({ key: { line: kl, col: kc }, value: { line: vl, col: vc } });
  });
  test('array elements and duplicates', () => {
    expect(m.at.get('/c/d/2')?.value).toEqual({ line: 4, col: 20 });
    expect(m.duplicates).toEqual([{ pointer: '/a', key: { line: 10, col: 1 }, first: { line: 2, col: 1 } }]);
  });
});

describe('templates', () => {
  test('substitutes, keeps escaped braces, reports undefined names with position', () => {
    const t = parseTemplate('x={{ a }}\n\\{{ b }} {{c}}');
    expect(t.errors).toEqual([]);
    expect(undefinedVars(t, new Set(['a']))).toEqual([{ name: 'c', line: 2, col: 10 }]);
    expect(render(t, { a: '1', c: '3' })).toBe('x=1\n{{ b }} 3');
  });
  test('unclosed and malformed placeholders are errors', () => {
    expect(parseTemplate('a {{ b').errors[0]).toMatchObject({ line: 1, col: 3, message: expect.stringMatching(/unclosed/) });
    expect(parseTemplate('{{ a b }}').errors[0].message).toMatch(/invalid placeholder/);
  });
});

test('names', () => {
  expect(nodeNameProblem('rootfs-arm64')).toBeUndefined();
  expect(nodeNameProblem('a__b.c')).toBeUndefined();
  for (const bad of ['A', '-a', 'a-', 'a..b', 'a___b', 'x'.repeat(129), 'a/b']) expect(nodeNameProblem(bad)).toBeDefined();
  expect(stepNameProblem('Install_1.2')).toBeUndefined();
  for (const bad of ['.x', 'a b', 'final', 'x'.repeat(129)]) expect(stepNameProblem(bad)).toBeDefined();
  for (const ok of ['stalker', 'team/stalker', 'localhost:5000/x', 'reg.example.com/a/b']) expect(repositoryProblem(ok)).toBeUndefined();
  for (const bad of ['Stalker', 'a//b', '', 'a/', 'x_-y']) expect(repositoryProblem(bad)).toBeDefined();
  expect(closest('stalkk', ['stalk', 'from', 'needs'])).toBe('stalk');
  expect(closest('zzz', ['stalk', 'from'])).toBeUndefined();
});

test('directory hashes cover names, modes and bytes, not mtimes', () => {
  const d = mkdtempSync(join(tmpdir(), 'stalker-hash-'));
  try {
    mkdirSync(join(d, 'sub'));
    writeFileSync(join(d, 'sub/f'), 'x');
    const h = () => (clearHashMemo(), hashPath(d));
    const h0 = h();
    writeFileSync(join(d, 'sub/f'), 'x');
    expect(h()).toBe(h0);
    chmodSync(join(d, 'sub/f'), 0o755);
    const h1 = h();
    expect(h1).not.toBe(h0);
    writeFileSync(join(d, 'sub/f'), 'y');
    expect(h()).not.toBe(h1);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

describe('tree graph', () => {
  const n = (name: string, from?: string, needs: string[] = []) => ({ name, from, needs });
  test('stable topological order, downstream, unknown names ignored', () => {
    const g = buildTreeGraph([n('img', 'app', ['tools']), n('base'), n('tools', 'base'), n('app', 'base', ['ghost'])]);
    expect(topologicalOrder(g)).toEqual(['base', 'tools', 'app', 'img']);
    expect(downstreamOf(g, ['app'])).toEqual(['app', 'img']);
    expect(g.edge('tools', 'img')).toBe('needs');
    expect(findCycles(g)).toEqual([]);
  });
  test('cycles as closed paths, self-needs included', () => {
    const g = buildTreeGraph([n('a', 'c'), n('b', 'a'), n('c', undefined, ['b']), n('s', undefined, ['s'])]);
    expect(findCycles(g).sort()).toEqual([
      ['a', 'b', 'c', 'a'],
      ['s', 's'],
    ]);
    expect(() => topologicalOrder(g)).toThrow(/cycle/);
  });
});
