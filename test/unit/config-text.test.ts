// The bytes of a config file: a byte order mark is not content, a NUL or raw binary never reaches
// the terminal, and a placeholder's problem points at the placeholder, wherever the string is.
import { formatProblem, ConfigError } from '../../lib/errors.js';
import { loadTree } from '../../lib/config/load-tree.js';
import { problemLines } from '../support/load-problems.js';
import { makeProject, type TestProject } from '../support/project.js';

const IMAGE = `bootstrap: { kind: "image", ref: "sha256:${'0'.repeat(64)}" }`;
let p: TestProject;
afterEach(() => p?.cleanup());

function project(tree: string, stalk = '{ vars: { who: "w" }, steps: [ { name: "one", run: "true" } ] }\n'): TestProject {
  p = makeProject('t', { 'stalks/s/s.hjson': stalk });
  p.write('trees/t/t.hjson', tree);
  return p;
}
const load = () => problemLines(p.tree, p.root);
const tree = `{\n  stalks: {\n    base: { ${IMAGE}, stalk: "s" }\n  }\n}\n`;

test('a UTF-8 byte order mark is accepted', async () => {
  project(`\ufeff${tree}`);
  expect(await load()).toEqual([]);
});

test('a NUL byte is refused at its position', async () => {
  project(tree.replace('stalks: {', 'stalks: {\0'));
  expect(await load()).toEqual(['trees/t/t.hjson:2:12: NUL byte: this is not a text file']);
});

test('binary garbage in a problem is escaped, one problem per line', async () => {
  project(`{\n  repository: "\u001b[31mred\u0007\u202e"\n  stalks: { base: { ${IMAGE}, stalk: "s\u0085" } }\n}\n`);
  const err = (await loadTree(p.tree).catch((e: unknown) => e)) as ConfigError;
  expect(err).toBeInstanceOf(ConfigError);
  for (const line of err.message.split('\n')) {
    expect(line).toMatch(/^[^\n]+:\d+:\d+: /);
    expect(line).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
  }
  expect(err.message).toContain('\\u001b[31mred\\u0007\\u202e');
  expect(err.problems.map(formatProblem).join('\n')).toBe(err.message);
});

test('invalid UTF-8 bytes are shown as escapes, never raw', async () => {
  p = makeProject('t', {});
  p.write('trees/t/t.hjson', '');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(p.tree, Buffer.concat([Buffer.from('{ stalks: { a: { from: "'), Buffer.from([0xff, 0xfe, 0x1b]), Buffer.from('" } } }\n')]));
  const lines = await load();
  expect(lines).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^trees\/t\/t\.hjson:1:\d+: node "a": unknown parent "\\ufffd\(not UTF-8\)\\ufffd\(not UTF-8\)\\u001b" in from$/),
    ]),
  );
});

describe('placeholders', () => {
  const stalk = (env: string) => `{\n  vars: { who: "w" }\n  env: {\n${env}\n  }\n  steps: [ { name: "one", run: "true" } ]\n}\n`;

  test("an error inside a ''' block points at the placeholder, not the block", async () => {
    project(tree, stalk(`    MOTD:\n      '''\n      hello\n        and {{ whom }} here\n      '''`));
    expect(await load()).toEqual(['stalks/s/s.hjson:7:13: env.MOTD: undefined variable "whom" (did you mean "who"?) (declare it in this stalk\'s vars)']);
  });

  test('in a quoted string, a literal "{{" is written "\\\\{{" (hjson reads the backslash first)', async () => {
    project(tree, stalk(`    A: "\\\\{{ not a var }}"\n    B: '''\n       \\{{ not a var either }}\n       '''\n    C: \\{{ unquoted }}`));
    const { loadTree: lt } = await import('../../lib/config/load-tree.js');
    const t = await lt(p.tree);
    const env = t.nodes.get('base')!.steps[0].env;
    expect([env.A, env.B, env.C]).toEqual(['{{ not a var }}', '{{ not a var either }}', '{{ unquoted }}']);
  });

  test('"\\{{" in a quoted string is an hjson syntax error, reported as one', async () => {
    project(tree, stalk(`    A: "\\{{ x }}"`));
    expect(await load()).toEqual([expect.stringMatching(/^stalks\/s\/s\.hjson:4:\d+: hjson syntax error: Bad string/)]);
  });
});

test('a huge value is cut in the message, not printed whole', async () => {
  project(`{ stalks: { base: { ${IMAGE}, stalk: "${'x'.repeat(200_000)}" } } }\n`);
  const lines = await load();
  expect(lines).toHaveLength(1);
  expect(lines[0].length).toBeLessThan(1200);
  expect(lines[0]).toMatch(/unknown stalk "x+… \(\d+ more characters\)$/);
});

test("brackets nested past the parser's stack are a problem, not a crash", async () => {
  project(`{ stalks: ${'['.repeat(100_000)} }\n`);
  expect(await load()).toEqual(['trees/t/t.hjson:1:1: hjson syntax error: nested too deeply to parse']);
});

test('values nested deeper than 64 levels are refused where they are, before any check recurses', async () => {
  const deep = (n: number) => `${'{ children: { c: '.repeat(n)}{ stalk: "s" }${' } }'.repeat(n)}`;
  project(`{\n  stalks: {\n    base: { ${IMAGE}, stalk: "s",\n      children: { x: ${deep(40)} } }\n  }\n}\n`);
  expect(await load()).toEqual([expect.stringMatching(/^trees\/t\/t\.hjson:4:\d+: nested more than 64 levels deep$/)]);
});

test('a tree of more than 1000 nodes is refused (dependency chains are walked recursively)', async () => {
  const nodes = Array.from({ length: 1001 }, (_, i) => `    n${i}: { from: "${i ? `n${i - 1}` : 'base'}", stalk: "s" }`).join('\n');
  project(`{\n  stalks: {\n    base: { ${IMAGE}, stalk: "s" }\n${nodes}\n  }\n}\n`);
  expect(await load()).toEqual(['trees/t/t.hjson:2:3: 1002 nodes: a tree has at most 1000']);
});
