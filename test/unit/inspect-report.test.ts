// The HTML report's pieces: the layered DAG layout, the DAG and timeline SVG, and the page (every
// node listed, outcomes, log links, everything escaped, nothing fetched from elsewhere).
import type { EventInput, RunGraphNode, StalkerEvent } from '../../lib/events/events.js';
import { foldEvents } from '../../lib/events/progress-state.js';
import { edgesOf, layoutDag } from '../../lib/report/dag-layout.js';
import { renderDagSvg } from '../../lib/report/dag-svg.js';
import { renderReport } from '../../lib/report/html-report.js';
import { renderTimelineSvg } from '../../lib/report/timeline-svg.js';

const g = (node: string, from?: string, needs: string[] = [], steps = ['s']): RunGraphNode => ({
  node,
  ...(from ? { from } : {}),
  needs,
  steps,
  platform: 'linux/amd64',
});
const IMAGE = `sha256:${'0'.repeat(64)}`;
const at = (ms: number, e: EventInput): StalkerEvent => ({ ...e, time: 1_000_000 + ms }) as StalkerEvent;

const tree = [g('base'), g('a', 'base'), g('b', 'base'), g('c', 'a', ['b']), g('arm')];

test('layout: each node one column after its deepest dependency; rows follow their parents', () => {
  const at = Object.fromEntries(layoutDag(tree).map((p) => [p.node, [p.col, p.row]]));
  expect(at).toEqual({ base: [0, 0], arm: [0, 1], a: [1, 0], b: [1, 1], c: [2, 0] });
  expect(edgesOf(tree)).toEqual([
    { from: 'base', to: 'a', kind: 'from' },
    { from: 'base', to: 'b', kind: 'from' },
    { from: 'a', to: 'c', kind: 'from' },
    { from: 'b', to: 'c', kind: 'needs' },
  ]);
});

test('DAG svg: a box per node filled by outcome, dashed needs edges, links to the node section', () => {
  const svg = renderDagSvg(tree, (n) => ({ fill: n === 'c' ? 'failed' : 'done', subtitle: `${n}!` }));
  expect(svg.match(/<g class="dag-node"/g)).toHaveLength(5);
  expect(svg).toContain('<a href="#node-c"><g class="dag-node" data-node="c"><title>c: c!</title><rect');
  expect(svg).toMatch(/data-node="c">.*fill="#e53935"/);
  expect(svg.match(/class="edge needs"[^>]*stroke-dasharray/g)).toHaveLength(1);
  expect(svg.match(/class="edge from"/g)).toHaveLength(3);
});

const events = [
  at(0, { type: 'run-start', run: 'r<1>', tree: 'demo', nodes: tree.map((n) => n.node), jobs: 2, graph: tree }),
  at(1, { type: 'node-start', node: 'base' }),
  at(2, { type: 'step-cached', node: 'base', step: 's', key: 'k', image: IMAGE }),
  at(3, { type: 'node-done', node: 'base', image: IMAGE, cached: true, durationMs: 2 }),
  at(4, { type: 'node-start', node: 'a' }),
  at(4, { type: 'node-start', node: 'b' }),
  at(5, { type: 'step-start', node: 'a', step: 's', key: 'k', reasons: [{ part: 'script' }], logPath: '/l' }),
  at(5, { type: 'step-start', node: 'b', step: 's', key: 'k', reasons: [{ part: 'never-built' }], logPath: '/l' }),
  at(1005, { type: 'step-done', node: 'a', step: 's', key: 'k', image: IMAGE, durationMs: 1000 }),
  at(1006, { type: 'node-done', node: 'a', image: IMAGE, cached: false, durationMs: 1002 }),
  at(2005, { type: 'step-failed', node: 'b', step: 's', exitCode: 7, logPath: '/l', durationMs: 2000 }),
  at(2006, { type: 'node-failed', node: 'b', message: 'step b:s failed <oops> & more', durationMs: 2002 }),
  at(2007, { type: 'node-skipped', node: 'c', reason: 'upstream-failed', upstream: 'b' }),
  at(2008, { type: 'node-start', node: 'arm' }),
  at(2009, { type: 'step-cached', node: 'arm', step: 's', key: 'k', image: IMAGE }),
  at(2010, { type: 'node-done', node: 'arm', image: IMAGE, cached: true, durationMs: 2 }),
  at(2100, { type: 'run-done', ok: false, durationMs: 2100, ran: 1, cached: 2, failed: 1, skipped: 1 }),
];

test('timeline: overlapping bars for branches that ran at once, diamonds for cache hits', () => {
  const run = foldEvents(events);
  const svg = renderTimelineSvg(run, [...run.nodes.values()]);
  const bar = (node: string) => new RegExp(`data-node="${node}">.*?<rect class="bar (\\w+)" x="([\\d.]+)" y="[\\d.]+" width="([\\d.]+)"`).exec(svg)!;
  const [, aState, ax, aw] = bar('a');
  const [, bState, bx, bw] = bar('b');
  expect([aState, bState]).toEqual(['done', 'failed']);
  expect(Number(ax)).toBeCloseTo(Number(bx)); // started together
  expect(Number(bw) / Number(aw)).toBeCloseTo(2, 1); // b took twice as long
  expect(svg.match(/class="bar cached"/g)).toHaveLength(2);
  expect(svg).toMatch(/data-node="c"><text[^>]*>c<\/text><text[^>]*>skipped: upstream b failed<\/text>/);
});

test('the page: every node, outcomes, reasons, log links, escaped text, self-contained', () => {
  const html = renderReport(foldEvents(events), { logHref: (node, s) => (s.status === 'cached' ? undefined : `${node}/${s.step}.log`) });
  for (const n of tree) expect(html).toContain(`<div class="node" id="node-${n.node}" data-node="${n.node}">`);
  expect(html).toContain('<span class="badge bad">failed</span>');
  expect(html).toContain('1 ran · 2 cached · 1 failed · 1 skipped · 5 nodes');
  expect(html).toContain('run r&lt;1&gt;');
  expect(html).toContain('<pre>step b:s failed &lt;oops&gt; &amp; more</pre>');
  expect(html).toContain('<td class="s-failed">failed (exit 7)</td>');
  expect(html).toContain('<td>script changed</td><td><a href="a/s.log">log</a></td>');
  expect(html).toContain('from a · needs b · linux/amd64');
  expect(html).not.toMatch(/<script|<link|src=|href="http/);
});

test('an old log without the graph still gives a page listing its nodes', () => {
  const bare = events.map((e) => (e.type === 'run-start' ? { ...e, graph: undefined } : e));
  const html = renderReport(foldEvents(bare), { logHref: () => undefined });
  for (const n of tree) expect(html).toContain(`data-node="${n.node}"`);
});
