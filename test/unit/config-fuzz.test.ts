// Generative: the shipped trees and stalks, mutated thousands of times (cut at every line, lines
// deleted, duplicated or swapped, values retyped, hostile bytes injected). Every load must end in
// a valid tree or in positioned, printable problems, quickly: never another exception, never a hang.
// Seeded, so a failure names the seed and mutation that reproduce it.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTree } from '../../lib/config/load-tree.js';
import { ConfigError, formatProblem } from '../../lib/errors.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const RANDOM_RUNS = Number(process.env.FUZZ_RUNS ?? 1200);
const BOUND_MS = 2000;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALUES = [
  '[]',
  '{}',
  'null',
  '42',
  '-1',
  'true',
  '"x"',
  '"{{ nope }}"',
  "'''\n  a {{\n  '''",
  '"a\\u0000b"',
  '[1, {}]',
  '"../../../etc/passwd"',
  '"/dev/zero"',
];
const BYTES = ['\0', '\xff', '\x1b[2J', '{', '}', '[', ']', '"', "'''", '\n', '#', ':', ',', '\\', '{{', '}}', '\ufeff', '\u202e', '/*'];

type Mutation = { name: string; apply(text: string): string };

function randomMutation(r: () => number): Mutation {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const k = r();
  return [
    { name: `delete line ${k}`, apply: (t: string) => lines(t, (ls, i) => ls.splice(i, 1)) },
    { name: `duplicate line ${k}`, apply: (t: string) => lines(t, (ls, i) => ls.splice(i, 0, ls[i])) },
    { name: `swap lines ${k}`, apply: (t: string) => lines(t, (ls, i) => ([ls[i], ls[0]] = [ls[0], ls[i]])) },
    { name: `retype a value ${k}`, apply: (t: string) => lines(t, (ls, i) => (ls[i] = ls[i].replace(/:\s*.*$/, `: ${pick(VALUES)}`))) },
    { name: `rename a key ${k}`, apply: (t: string) => lines(t, (ls, i) => (ls[i] = ls[i].replace(/^(\s*)(\w)/, '$1x$2'))) },
    {
      name: `inject bytes ${k}`,
      apply: (t: string) => {
        const at = Math.floor(k * t.length);
        return t.slice(0, at) + pick(BYTES) + t.slice(at);
      },
    },
  ][Math.floor(r() * 6)];

  function lines(t: string, f: (ls: string[], i: number) => void): string {
    const ls = t.split('\n');
    f(ls, Math.floor(k * ls.length));
    return ls.join('\n');
  }
}

let root: string;
let files: string[];
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'stalker-fuzz-'));
  for (const d of ['trees', 'stalks', 'plugins', 'sysroot']) cpSync(join(repo, d), join(root, d), { recursive: true });
  files = [
    'trees/raspi/raspi.hjson',
    'trees/hello_world/hello_world.hjson',
    ...readdirSync(join(root, 'stalks'))
      .map((s) => `stalks/${s}/${s}.hjson`)
      .filter((f) => existsSync(join(root, f))),
  ];
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const treeFor = (file: string) => join(root, file.includes('hello') ? 'trees/hello_world/hello_world.hjson' : 'trees/raspi/raspi.hjson');

/** Loads with `file` replaced by `text`; returns what went wrong, or undefined when all is well. */
async function check(file: string, text: string, what: string): Promise<string | undefined> {
  const path = join(root, file);
  const original = readFileSync(path);
  writeFileSync(path, text);
  const t0 = Date.now();
  try {
    await loadTree(treeFor(file));
  } catch (e) {
    if (!(e instanceof ConfigError)) return `${what}: ${(e as Error)?.stack ?? String(e)}`;
    for (const p of e.problems) {
      const line = formatProblem(p);
      if (!(p.line! >= 1 && p.col! >= 1) || !/^[^\n]+:\d+:\d+: [^\n]+$/.test(line) || /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(line))
        return `${what}: unpositioned or unprintable problem: ${JSON.stringify(line)}`;
    }
  } finally {
    writeFileSync(path, original);
  }
  const ms = Date.now() - t0;
  return ms > BOUND_MS ? `${what}: took ${ms} ms` : undefined;
}

test('the shipped trees load as they are', async () => {
  for (const f of files.filter((x) => x.startsWith('trees/'))) expect(await check(f, readFileSync(join(root, f), 'utf8'), f)).toBeUndefined();
});

test('every file cut at every line', async () => {
  const failures: string[] = [];
  for (const f of files) {
    const ls = readFileSync(join(root, f), 'utf8').split('\n');
    for (let i = 0; i < ls.length; i++) {
      const bad = await check(f, ls.slice(0, i).join('\n'), `${f} cut at line ${i + 1}`);
      if (bad) failures.push(bad);
    }
  }
  expect(failures).toEqual([]);
}, 60_000);

test(`${RANDOM_RUNS} random mutations (seed ${SEED})`, async () => {
  const r = rng(SEED);
  const failures: string[] = [];
  let valid = 0;
  for (let n = 0; n < RANDOM_RUNS; n++) {
    const f = files[Math.floor(r() * files.length)];
    let text = readFileSync(join(root, f), 'utf8');
    const names: string[] = [];
    for (let m = 1 + Math.floor(r() * 3); m > 0; m--) {
      const mu = randomMutation(r);
      names.push(mu.name);
      text = mu.apply(text);
    }
    const bad = await check(f, text, `run ${n} (FUZZ_SEED=${SEED}) ${f}: ${names.join(', ')}`);
    if (bad) failures.push(bad);
    else valid++;
  }
  expect(failures.slice(0, 5)).toEqual([]);
  expect(valid).toBe(RANDOM_RUNS);
}, 120_000);
