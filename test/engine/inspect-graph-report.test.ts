// The DAG picture and the per-run HTML report of a real build with parallel branches, a failure
// and a skipped node: `graph` colors nodes by the plan's cache state (dot and svg); the report is
// written at the end of the build, renders in headless Chromium (a non-empty screenshot) and its
// page lists every node, with links to the step logs of the run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importBusyboxRoot, removeTreeArtifacts } from '../support/build-harness.js';
import { makeProject, type TestProject } from '../support/project.js';
import { tarballTree } from '../support/tarball-tree.js';

const TREE = `inspgraph${process.pid}`;
const STALKER = join(process.cwd(), 'bin', 'stalker');
const NODES = ['base', 'left', 'right', 'join', 'bad', 'after'];
let project: TestProject;
let scratch: string;

beforeAll(() => {
  project = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: tarballTree(
      `
      left: { from: "base", stalk: "work", vars: { side: "left" } }
      right: { from: "base", stalk: "work", vars: { side: "right" } }
      join: { from: "left", stalk: "work", needs: ["right"], vars: { side: "join" } }
      bad: { from: "base", stalk: "bad" }
      after: { from: "bad", stalk: "work", vars: { side: "after" } }
    `,
      { repository: TREE },
    ),
    'stalks/work/work.hjson': `{
      vars: { side: null }
      steps: [ { name: "first", run: "sleep 0.5; echo $side ${TREE} > /side" }, { name: "second", run: "cat /side" } ]
    }`,
    'stalks/bad/bad.hjson': '{ steps: [ { name: "boom", run: "echo failing on purpose; exit 2" } ] }',
  });
  scratch = mkdtempSync(join(tmpdir(), 'stalker-report-'));
});

// the root is cached on an engine that ran any test before; make it so on a fresh one too
beforeAll(() => importBusyboxRoot(), 120_000);

afterAll(async () => {
  await removeTreeArtifacts(TREE);
  project.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

const cli = (...args: string[]) => spawnSync(STALKER, [args[0], '--config', project.tree, ...args.slice(1)], { encoding: 'utf8' });

test('graph before a build: every node will run (keys chain, so the miss of each step is known at once); dot edges for from and needs', () => {
  const r = cli('graph');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(new RegExp(`^digraph "${TREE}" \\{`));
  expect(r.stdout).toMatch(/"left" \[label="left\\n2 to run", fillcolor="#ffcc80"/);
  expect(r.stdout).toMatch(/"join" \[label="join\\n2 to run", fillcolor="#ffcc80"/);
  expect(r.stdout).toContain('"left" -> "join";');
  expect(r.stdout).toContain('"right" -> "join" [style=dashed];');
}, 30_000);

let runDir = '';

test('a build writes report.html into its run directory, whatever the outcome', () => {
  const b = spawnSync(STALKER, ['--config', project.tree, '--keep-going', '--jobs', '3'], { encoding: 'utf8' });
  expect(b.status).toBe(1);
  runDir = join(project.root, 'logs', TREE, readlinkSync(join(project.root, 'logs', TREE, 'latest')));
  const html = readFileSync(join(runDir, 'report.html'), 'utf8');
  for (const n of NODES) expect(html).toContain(`id="node-${n}"`);
  expect(html).not.toMatch(/<script|src="http|href="http/); // self-contained
}, 90_000);

test('graph after the build: built nodes cached (blue), the failed branch and its child to run; svg renders', () => {
  const r = cli('graph', '--format', 'dot');
  expect(r.stdout).toMatch(/"join" \[label="join\\n2 cached", fillcolor="#90caf9"/);
  expect(r.stdout).toMatch(/"bad" \[label="bad\\n1 to run", fillcolor="#ffcc80"/);
  expect(r.stdout).toMatch(/"after" \[label="after\\n2 to run", fillcolor="#ffcc80"/);
  const file = join(scratch, 'tree.svg');
  const s = cli('graph', '--format', 'svg', '--output', file);
  expect(s.status).toBe(0);
  const svg = readFileSync(file, 'utf8');
  expect(svg).toMatch(/^<\?xml[^]*<svg /);
  for (const n of NODES) expect(svg).toContain(`<title>${n}</title>`);
  expect(svg).toContain('fill="#90caf9"');
  expect(cli('graph', '--format', 'png').stderr).toMatch(/--format png: expected one of dot, svg\n/);
}, 30_000);

const CHROMIUM = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--window-size=1200,900',
];

function chromium(...args: string[]) {
  const profile = mkdtempSync(join(scratch, 'profile-'));
  return spawnSync('chromium', [...CHROMIUM, `--user-data-dir=${profile}`, ...args], { encoding: 'utf8', timeout: 90_000 });
}

test('the report renders in headless Chromium: a non-empty screenshot', () => {
  const shot = join(scratch, 'report.png');
  const r = chromium(`--screenshot=${shot}`, `file://${join(runDir, 'report.html')}`);
  expect(existsSync(shot)).toBe(true);
  const png = readFileSync(shot);
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1200, 900]); // IHDR width, height
  // A blank page compresses to a few KB; the DAG, timeline and tables make far more.
  expect(statSync(shot).size).toBeGreaterThan(20_000);
  void r;
}, 120_000);

test('the rendered page lists every node, the outcomes, and links to logs that exist', () => {
  const r = chromium('--dump-dom', `file://${join(runDir, 'report.html')}`);
  const dom = r.stdout;
  for (const n of NODES) {
    expect(dom).toContain(`<g class="dag-node" data-node="${n}">`);
    expect(dom).toContain(`<div class="node" id="node-${n}" data-node="${n}">`);
  }
  expect(dom).toContain('<span class="badge bad">failed</span>');
  expect(dom).toMatch(/<h3>after <span class="s-skipped">skipped<\/span>/);
  expect(dom).toMatch(/<td>boom<\/td><td class="s-failed">failed \(exit 2\)<\/td>/);
  expect(dom).toMatch(/<g class="lane" data-node="left">.*<rect class="bar done"/);
  const links = [...dom.matchAll(/<a href="([^"#]+\.log)">log<\/a>/g)].map((m) => m[1]);
  expect(links).toEqual(expect.arrayContaining(['left/first.log', 'right/second.log', 'bad/boom.log']));
  for (const l of links) expect(existsSync(join(runDir, l))).toBe(true);
}, 120_000);

test('stalker report writes the report again from the event log', () => {
  rmSync(join(runDir, 'report.html'));
  const r = cli('report');
  expect(r.status).toBe(0);
  expect(r.stdout.trim()).toBe(join(runDir, 'report.html'));
  expect(readFileSync(join(runDir, 'report.html'), 'utf8')).toContain('id="node-join"');
}, 30_000);
