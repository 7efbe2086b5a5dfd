// The built CLI as a user runs it: what it loads for --help, how config problems print, and how it
// ends when its reader goes away. bin/stalker rebuilds dist/ first when a source is newer.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeProject, type TestProject } from '../support/project.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
const main = join(repo, 'dist/lib/cli/main.js');
const IMAGE = `bootstrap: { kind: "image", ref: "sha256:${'0'.repeat(64)}" }`;

let p: TestProject;
beforeAll(() => {
  execFileSync(join(repo, 'bin/stalker'), ['--version'], { stdio: 'ignore' }); // builds dist/ if stale
  p = makeProject('t', {
    'trees/t/t.hjson': `{\n  stalks: {\n    base: { ${IMAGE}, stalk: "s" }\n  }\n}\n`,
    'stalks/s/s.hjson': '{ steps: [ { name: "one", run: "true" } ] }\n',
  });
}, 120_000);
afterAll(() => p.cleanup());

const stalker = (args: string[], opts: { cwd?: string; hook?: string } = {}) =>
  spawnSync('node', [...(opts.hook ? ['--require', opts.hook] : []), main, ...args], { cwd: opts.cwd ?? p.root, encoding: 'utf8', timeout: 30_000 });

/** A --require hook that prints every module the CLI loads (on stderr, after LOADED:). */
function loadHook(): string {
  const hook = join(p.root, 'hook.cjs');
  writeFileSync(
    hook,
    `const M = require('module'); const load = M._load; const seen = [];
M._load = function (r, ...a) { seen.push(r); return load.call(this, r, ...a); };
process.on('exit', () => process.stderr.write('LOADED:' + seen.join(',')));`,
  );
  return hook;
}

test('--help loads no dependency (no dockerode, winston, ajv, hjson): commands load when they run', () => {
  const hook = loadHook();
  const help = stalker(['--help'], { hook });
  expect(help.status).toBe(0);
  expect(help.stderr).toBe('LOADED:');
  const plan = stalker(['plan', 't', '--help'], { hook });
  expect(plan.stderr).toBe('LOADED:');
  // and the hook does see them when a command runs (a missing tree file: no engine is asked)
  const bad = stalker(['plan', '--config', join(p.root, 'trees/none/none.hjson')], { hook });
  expect(bad.stderr).toMatch(/LOADED:.*\bhjson\b/);
});

test('a run validates with the validators compiled at build time: ajv itself is not loaded', () => {
  const hook = loadHook();
  p.write('trees/bad/bad.hjson', `{\n  stalks: {\n    base: { ${IMAGE}, stalk: "s", colour: 1 }\n  }\n}\n`);
  const r = stalker(['plan', 'bad'], { hook });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/bad\.hjson:3:\d+: unknown key "colour"/);
  const loaded = r.stderr.slice(r.stderr.indexOf('LOADED:') + 7).split(',');
  expect(loaded).toContain('./schema/validators.cjs');
  expect(loaded.filter((m) => /^ajv(\/dist\/(standalone|core|compile)|$)/.test(m))).toEqual([]);
});

test('--version and version print the package version', () => {
  const { version } = JSON.parse(spawnSync('cat', [join(repo, 'package.json')], { encoding: 'utf8' }).stdout);
  expect(stalker(['--version']).stdout).toBe(`stalker ${version}\n`);
  expect(stalker(['version']).stdout).toBe(`stalker ${version}\n`);
});

test('config problems: exit 2, every line file:line:col: message, no prefix, no stack, no hang on a FIFO', () => {
  p.write(
    'stalks/s/s.hjson',
    '{\n  mounts: [ { src: "fifo", dest: "/f" } ]\n  steps: [ { name: "one", script: "gone.sh" }, { name: "two", run: "true", colour: 1 } ]\n}\n',
  );
  spawnSync('mkfifo', [join(p.root, 'stalks/s/fifo')]);
  const r = stalker(['plan', 't']);
  expect(r.status).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines.length).toBe(3);
  for (const l of lines) expect(l).toMatch(/^\/[^:]+:\d+:\d+: \S/);
  expect(r.stderr).not.toMatch(/stalker:|\n\s+at /);
});

test('a reader that goes away ends the output quietly (logs … | head -1)', async () => {
  mkdirSync(join(p.root, 'logs/t/base'), { recursive: true });
  p.write('stalks/s/s.hjson', '{ steps: [ { name: "one", run: "true" } ] }\n');
  writeFileSync(join(p.root, 'logs/t/base/one.log'), 'a log line\n'.repeat(500_000));
  const child = spawn('node', [main, 'logs', 't', 'base:one'], { cwd: p.root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  await new Promise<void>((done) => child.stdout.once('data', () => (child.stdout.destroy(), done())));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  expect({ code, stderr }).toEqual({ code: 141, stderr: '' });
});

test('graph --output into a missing directory says so before planning', () => {
  const r = stalker(['graph', 't', '--output', '/nonexistent/dir/g.svg']);
  expect({ status: r.status, stderr: r.stderr }).toEqual({
    status: 2,
    stderr: 'stalker: --output /nonexistent/dir/g.svg: directory /nonexistent/dir does not exist\n',
  });
});

test('a usage error quoting a hostile argument escapes it', () => {
  const r = stalker(['pl\u001b[2Jan']);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('unknown command "pl\\u001b[2Jan"');
  expect(r.stderr).not.toContain('\u001b');
});

test('values nested thousands deep are problems, not a stack overflow (exit 70)', () => {
  for (const n of [2000, 4000, 100_000]) {
    p.write(
      'trees/deep/deep.hjson',
      `{\n  stalks: {\n    base: { ${IMAGE} }\n    w: { from: "base", writer: { output: "o", x: ${'['.repeat(n)}${']'.repeat(n)} } }\n  }\n}\n`,
    );
    const r = stalker(['plan', 'deep']);
    expect([n, r.status, r.stderr]).toEqual([
      n,
      2,
      expect.stringMatching(/^\/\S+deep\.hjson:\d+:\d+: (nested more than 64 levels deep|hjson syntax error: nested too deeply to parse)\n$/),
    ]);
  }
});

test('nodes nested or chained thousands deep are problems, not a stack overflow (exit 70)', () => {
  const nested = `${'children: { c: { stalk: "s"\n'.repeat(1000)}${'} }'.repeat(1000)}`;
  p.write('trees/nest/nest.hjson', `{ stalks: { base: { ${IMAGE}\n${nested} } } }\n`);
  const chain = Array.from({ length: 3000 }, (_, i) => `n${i}: { from: "${i ? `n${i - 1}` : 'base'}", stalk: "s" }`).join('\n');
  p.write('trees/chain/chain.hjson', `{\nstalks: {\nbase: { ${IMAGE}, stalk: "s" }\n${chain}\n}\n}\n`);
  for (const [tree, message] of [
    ['nest', 'nested more than 64 levels deep'],
    ['chain', '3001 nodes: a tree has at most 1000'],
  ]) {
    const r = stalker(['plan', tree]);
    expect([tree, r.status, r.stderr]).toEqual([tree, 2, expect.stringMatching(new RegExp(`^/\\S+${tree}\\.hjson:\\d+:\\d+: ${message}\n$`))]);
  }
});
