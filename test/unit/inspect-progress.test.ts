// The live view: the redrawn block (one line per running node, steps marked, elapsed, last output),
// the permanent lines each event leaves, the summary, and how the mode is picked (TTY, plain, json,
// NO_COLOR).
import { PassThrough } from 'node:stream';
import { COLORS, NO_COLORS, paletteFor, stripAnsi } from '../../lib/events/color.js';
import { BuildEvents, type EventInput, type StalkerEvent } from '../../lib/events/events.js';
import { renderFrame } from '../../lib/events/live-frame.js';
import { attachLive, liveLine } from '../../lib/events/live-reporter.js';
import { applyEvent, emptyRun, foldEvents } from '../../lib/events/progress-state.js';
import { attachReporter, parseProgress, resolveMode } from '../../lib/events/reporter.js';

const IMAGE = `sha256:${'ab12cd34ef56'.repeat(5)}abcd`;
const clock = 1_000_000;
const at = (e: EventInput, time = clock): StalkerEvent => ({ ...e, time }) as StalkerEvent;

const graph = [
  { node: 'base', needs: [], steps: ['bootstrap'], platform: 'linux/amd64' },
  { node: 'app', from: 'base', needs: [], steps: ['one', 'two', 'three'], platform: 'linux/amd64' },
  { node: 'leaf', from: 'app', needs: [], steps: ['x'], platform: 'linux/amd64' },
];

function midRun() {
  return [
    at({ type: 'run-start', run: 'r1', tree: 't', nodes: ['base', 'app', 'leaf'], jobs: 2, graph }, 1000),
    at({ type: 'node-start', node: 'base' }, 1000),
    at({ type: 'step-cached', node: 'base', step: 'bootstrap', key: 'k', image: IMAGE }, 1001),
    at({ type: 'node-done', node: 'base', image: IMAGE, cached: true, durationMs: 1 }, 1002),
    at({ type: 'node-start', node: 'app' }, 1003),
    at({ type: 'step-cached', node: 'app', step: 'one', key: 'k', image: IMAGE }, 1004),
    at({ type: 'step-start', node: 'app', step: 'two', key: 'k', reasons: [{ part: 'script' }], logPath: '/l/two.log' }, 1005),
    at({ type: 'step-output', node: 'app', step: 'two', stream: 'stdout', line: 'compiling widgets' }, 2000),
  ];
}

describe('renderFrame', () => {
  test('one line per running node: steps marked cached/running/pending, elapsed, last output; then a status line', () => {
    const run = foldEvents(midRun());
    const lines = renderFrame(run, { now: 4005, width: 120, palette: NO_COLORS });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^. app  ◆one ▶two ·three  3\.0s  │ compiling widgets$/);
    expect(lines[1]).toBe('1/3 nodes · 1 running · 0 ran · 2 cached · 3.0s');
  });

  test('lines never exceed the terminal width, colored or not', () => {
    const run = foldEvents(midRun());
    for (const palette of [NO_COLORS, COLORS]) {
      for (const line of renderFrame(run, { now: 4005, width: 30, palette })) {
        expect([...stripAnsi(line)].length).toBeLessThanOrEqual(29);
      }
    }
    expect(stripAnsi(renderFrame(run, { now: 4005, width: 25, palette: COLORS })[0])).toMatch(/…$/);
  });

  test('no running node: only the status line', () => {
    const run = foldEvents(midRun().slice(0, 4));
    expect(renderFrame(run, { now: 5000, width: 80, palette: NO_COLORS })).toEqual(['1/3 nodes · 0 running · 0 ran · 1 cached · 4.0s']);
  });
});

describe('liveLine', () => {
  const run = foldEvents(midRun());
  const line = (e: StalkerEvent, verbose = false) => liveLine(e, applyEvent(run, e), verbose, NO_COLORS);

  test('a finished step says how long it took and why it ran', () => {
    expect(line(at({ type: 'step-done', node: 'app', step: 'two', key: 'k', image: IMAGE, durationMs: 1500 }))).toBe('✔ app:two 1.5s (script changed)');
  });
  test('a built node counts its cache hits; a cached node is marked', () => {
    expect(line(at({ type: 'node-done', node: 'app', image: IMAGE, cached: false, durationMs: 2500 }))).toBe('✔ app built ab12cd34ef56 in 2.5s, 1 cached');
    expect(line(at({ type: 'node-done', node: 'base', image: IMAGE, cached: true, durationMs: 1 }))).toBe('◆ base cached (1 step) ab12cd34ef56');
  });
  test('failures, skips and interrupts', () => {
    expect(line(at({ type: 'step-failed', node: 'leaf', step: 'x', exitCode: 3, logPath: '/l/x.log', durationMs: 200 }))).toBe(
      '✖ leaf:x FAILED (exit 3) after 0.2s  log: /l/x.log',
    );
    expect(line(at({ type: 'node-failed', node: 'leaf', message: 'step leaf:x failed\nmore', durationMs: 5 }))).toBe('✖ leaf FAILED: step leaf:x failed');
    expect(line(at({ type: 'node-skipped', node: 'leaf', reason: 'upstream-failed', upstream: 'app' }))).toBe('⊘ leaf skipped (upstream app failed)');
    expect(line(at({ type: 'interrupted', signal: 'SIGINT' }))).toBe('interrupted by SIGINT: stopping containers');
  });
  test('output, starts and hits print only when verbose', () => {
    const out = at({ type: 'step-output', node: 'app', step: 'two', stream: 'stderr', line: 'warn' });
    expect(line(out)).toBeUndefined();
    expect(line(out, true)).toBe('  app:two | warn');
    expect(line(at({ type: 'step-cached', node: 'app', step: 'one', key: 'k', image: IMAGE }))).toBeUndefined();
    expect(line(at({ type: 'step-cached', node: 'app', step: 'one', key: 'k', image: IMAGE }), true)).toBe('◆ app:one cached');
  });
  test('the summary: ran, cached, failed, skipped and the total', () => {
    expect(line(at({ type: 'run-done', ok: true, durationMs: 61_500, ran: 2, cached: 3, failed: 0, skipped: 0 }))).toBe(
      '✔ done in 1m01s: 2 ran, 3 cached, 0 failed, 0 skipped, 3 nodes',
    );
    expect(line(at({ type: 'run-done', ok: false, durationMs: 900, ran: 1, cached: 0, failed: 1, skipped: 1 }))).toBe(
      '✖ FAILED in 0.9s: 1 ran, 0 cached, 1 failed, 1 skipped, 3 nodes',
    );
  });
});

describe('attachLive', () => {
  test('redraws the block in place and leaves permanent lines above it', () => {
    const events = new BuildEvents();
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => {
      text += c.toString();
    });
    const now = 5000;
    const detach = attachLive(events, out, { palette: NO_COLORS, width: 80, tickMs: 0, now: () => now });
    events.emit({ type: 'run-start', run: 'r1', tree: 't', nodes: ['app'], jobs: 1, graph: graph.slice(1, 2) });
    events.emit({ type: 'node-start', node: 'app' });
    events.emit({ type: 'step-start', node: 'app', step: 'one', key: 'k', reasons: [], logPath: '/l' });
    events.emit({ type: 'step-done', node: 'app', step: 'one', key: 'k', image: IMAGE, durationMs: 10 });
    events.emit({ type: 'run-done', ok: true, durationMs: 20, ran: 1, cached: 0, failed: 0, skipped: 0 });
    detach();
    expect(text).toContain('\x1b[2A\r\x1b[0J'); // moved up over the two-line block (node + status) and cleared it
    expect(text).toContain('✔ app:one');
    expect(text.endsWith('✔ done in 0.0s: 1 ran, 0 cached, 0 failed, 0 skipped, 1 node\n')).toBe(true);
  });
});

describe('mode and color', () => {
  const tty = Object.assign(new PassThrough(), { isTTY: true });
  const pipe = new PassThrough();
  test('auto is the live view on a terminal and plain lines elsewhere', () => {
    expect(resolveMode('auto', tty, {})).toBe('tty');
    expect(resolveMode('auto', tty, { TERM: 'dumb' })).toBe('plain');
    expect(resolveMode('auto', pipe, {})).toBe('plain');
    expect(resolveMode('plain', tty, {})).toBe('plain');
    expect(resolveMode('json', tty, {})).toBe('json');
  });
  test('NO_COLOR (non-empty) turns color off, even on a terminal', () => {
    expect(paletteFor({ isTTY: true }, {})).toBe(COLORS);
    expect(paletteFor({ isTTY: true }, { NO_COLOR: '1' })).toBe(NO_COLORS);
    expect(paletteFor({ isTTY: true }, { NO_COLOR: '' })).toBe(COLORS);
    expect(paletteFor({ isTTY: false }, {})).toBe(NO_COLORS);
  });
  test('a live view under NO_COLOR writes no color codes', () => {
    const events = new BuildEvents();
    let text = '';
    tty.on('data', (c: Buffer) => {
      text += c.toString();
    });
    const detach = attachReporter(events, 'tty', tty, false, { NO_COLOR: '1' });
    for (const e of midRun()) {
      const { time: _t, ...rest } = e;
      events.emit(rest as EventInput);
    }
    events.emit({ type: 'run-done', ok: true, durationMs: 20, ran: 0, cached: 2, failed: 0, skipped: 0 });
    detach();
    expect(text).not.toMatch(/\x1b\[\d+m/);
    expect(text).toContain('done in');
  });
  test('json writes one event per line', () => {
    const events = new BuildEvents();
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => {
      text += c.toString();
    });
    attachReporter(events, 'json', out, false, {});
    events.emit({ type: 'sweep', containers: 1 });
    expect(JSON.parse(text.trim())).toMatchObject({ type: 'sweep', containers: 1 });
  });
  test('an unknown --progress value is a usage error', () => {
    expect(() => parseProgress('fancy')).toThrow(/--progress fancy: expected one of auto, tty, plain, json/);
    expect(parseProgress(undefined)).toBe('auto');
  });
  test('emptyRun starts with nothing', () => {
    expect(emptyRun().nodes.size).toBe(0);
  });
});
void clock;
