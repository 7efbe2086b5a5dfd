// `stalker events`: a run folded from its events and drawn as a tree of actions (run -> node ->
// step), with outcomes, durations, start offsets, reasons, logs; --node keeps one branch.
import type { EventInput, StalkerEvent } from '../../lib/events/events.js';
import { foldEvents } from '../../lib/events/progress-state.js';
import { eventTree } from '../../lib/inspect/event-tree.js';
import { drawTree } from '../../lib/inspect/text-tree.js';

const IMAGE = `sha256:${'ab12cd34ef56'.repeat(5)}abcd`;
const T0 = Date.UTC(2025, 0, 2, 3, 4, 5);
const at = (ms: number, e: EventInput): StalkerEvent => ({ ...e, time: T0 + ms }) as StalkerEvent;

const graph = [
  { node: 'base', needs: [], steps: ['bootstrap'], platform: 'linux/amd64' },
  { node: 'app', from: 'base', needs: [], steps: ['one', 'two'], platform: 'linux/amd64' },
  { node: 'leaf', from: 'app', needs: [], steps: ['x'], platform: 'linux/amd64' },
];

const failedRun = [
  at(0, { type: 'run-start', run: 'r1', tree: 'demo', nodes: ['base', 'app', 'leaf'], jobs: 2, graph }),
  at(5, { type: 'sweep', containers: 2 }),
  at(10, { type: 'node-start', node: 'base' }),
  at(11, { type: 'step-cached', node: 'base', step: 'bootstrap', key: 'k', image: IMAGE }),
  at(12, { type: 'node-done', node: 'base', image: IMAGE, cached: true, durationMs: 2 }),
  at(20, { type: 'node-start', node: 'app' }),
  at(21, {
    type: 'step-start',
    node: 'app',
    step: 'one',
    key: 'k',
    reasons: [{ part: 'var', name: 'who', before: 'a', after: 'b' }],
    logPath: '/logs/app/one.log',
  }),
  at(1521, { type: 'step-done', node: 'app', step: 'one', key: 'k', image: IMAGE, durationMs: 1500 }),
  at(1522, { type: 'step-start', node: 'app', step: 'two', key: 'k', reasons: [{ part: 'parent' }], logPath: '/logs/app/two.log' }),
  at(1800, { type: 'step-failed', node: 'app', step: 'two', exitCode: 3, logPath: '/logs/app/two.log', durationMs: 278 }),
  at(1801, { type: 'node-failed', node: 'app', message: 'step app:two failed with exit code 3\n  last lines: ...', durationMs: 1781 }),
  at(1802, { type: 'node-skipped', node: 'leaf', reason: 'upstream-failed', upstream: 'app' }),
  at(1900, { type: 'run-done', ok: false, durationMs: 1900, ran: 1, cached: 1, failed: 1, skipped: 1 }),
];

test('drawTree draws branches and continues multi-line labels under their item', () => {
  expect(drawTree({ label: 'root', children: [{ label: 'a', children: [{ label: 'a1' }, { label: 'a2\nmore' }] }, { label: 'b' }] })).toEqual([
    'root',
    '├── a',
    '│   ├── a1',
    '│   └── a2',
    '│       more',
    '└── b',
  ]);
});

test('a failed run: outcomes, durations, offsets, why each step ran, logs, the skip and the sweep', () => {
  expect(eventTree(foldEvents(failedRun))).toEqual([
    'run r1 · tree demo ⇒ failed ⧖ 1.90s (1 ran, 1 cached, 1 failed, 1 skipped) 2025-01-02T03:04:05.000Z',
    '├── sweep: removed 2 container(s) left by an interrupted run',
    '├── ◆ base ⇒ cached ⧖ 0.00s @+0.01s',
    '│   └── ◆ bootstrap ⇒ cached @+0.01s',
    '├── ✖ app ⇒ failed ⧖ 1.78s @+0.02s',
    '│   ├── ✔ one ⇒ done ⧖ 1.50s @+0.02s',
    '│   │   ├── why: var who changed (a -> b)',
    '│   │   └── log: /logs/app/one.log',
    '│   ├── ✖ two ⇒ failed (exit 3) ⧖ 0.28s @+1.52s',
    '│   │   ├── why: parent step changed',
    '│   │   └── log: /logs/app/two.log',
    '│   └── step app:two failed with exit code 3',
    '└── ⊘ leaf ⇒ skipped',
    '    └── upstream app failed',
  ]);
});

test("--node keeps one node; logs can point at the run's own copies", () => {
  const lines = eventTree(foldEvents(failedRun), { node: 'app', logPathOf: (n, s) => `/runs/r1/${n}/${s}.log` });
  expect(lines[1]).toBe('└── ✖ app ⇒ failed ⧖ 1.78s @+0.02s');
  expect(lines).toContain('    │   └── log: /runs/r1/app/one.log');
  expect(lines.join('\n')).not.toMatch(/leaf|base|sweep/);
});

test('an interrupted run that never ended: still running steps, the interrupt, no summary', () => {
  const lines = eventTree(foldEvents([...failedRun.slice(0, 7), at(900, { type: 'interrupted', signal: 'SIGINT' })]));
  expect(lines[0]).toBe('run r1 · tree demo ⇒ running (or stopped without an end) 2025-01-02T03:04:05.000Z');
  expect(lines).toContain('│   └── ▶ one ⇒ running @+0.02s');
  expect(lines[lines.length - 1]).toBe('└── interrupted by SIGINT');
});

test('run-done closes steps and nodes still marked running', () => {
  const view = foldEvents([...failedRun.slice(0, 7), at(950, { type: 'run-done', ok: false, durationMs: 950, ran: 0, cached: 1, failed: 0, skipped: 0 })]);
  expect(view.nodes.get('app')).toMatchObject({ status: 'failed', message: 'stopped' });
  expect(view.nodes.get('app')!.steps[0]).toMatchObject({ status: 'failed', ended: T0 + 950 });
  expect(view.nodes.get('leaf')!.status).toBe('pending');
});
