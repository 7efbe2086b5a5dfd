// The plain console view: what each event prints, what only --verbose shows, and that a build's
// summary line carries the counts tests and users read.
import { PassThrough } from 'node:stream';
import { attachConsole, formatEvent } from '../../lib/events/console-reporter.js';
import { BuildEvents, type EventInput, type StalkerEvent } from '../../lib/events/events.js';

const IMAGE = `sha256:${'ab12cd34ef56'.repeat(5)}abcd`;
const at = (e: EventInput): StalkerEvent => ({ ...e, time: 0 }) as StalkerEvent;

describe('formatEvent', () => {
  const cases: Array<[StalkerEvent, string]> = [
    [at({ type: 'run-start', run: 'r1', tree: 'hello_world', nodes: ['a', 'b'], jobs: 2 }), 'run r1: tree hello_world, 2 nodes, 2 jobs'],
    [at({ type: 'sweep', containers: 3 }), 'removed 3 container(s) left by an interrupted run'],
    [
      at({ type: 'step-start', node: 'app', step: 'one', key: 'k', reasons: [{ part: 'never-built' }], logPath: '/l' }),
      '  app:one running (never built before)',
    ],
    [at({ type: 'step-start', node: 'app', step: 'one', key: 'k', reasons: [], logPath: '/l' }), '  app:one running'],
    [
      at({
        type: 'step-start',
        node: 'app',
        step: 'one',
        key: 'k',
        logPath: '/l',
        reasons: [{ part: 'var', name: 'who', before: 'world', after: 'you' }, { part: 'parent' }],
      }),
      '  app:one running (var who changed (world -> you), parent step changed)',
    ],
    [at({ type: 'step-done', node: 'app', step: 'one', key: 'k', image: IMAGE, durationMs: 1234 }), '  app:one done in 1.2s'],
    [
      at({ type: 'step-failed', node: 'app', step: 'two', exitCode: 3, logPath: '/logs/app/two.log', durationMs: 5 }),
      '  app:two FAILED (exit 3) log: /logs/app/two.log',
    ],
    [at({ type: 'node-done', node: 'app', image: IMAGE, cached: true, durationMs: 1 }), 'app cached ab12cd34ef56'],
    [at({ type: 'node-done', node: 'app', image: IMAGE, cached: false, durationMs: 2500 }), 'app built ab12cd34ef56 in 2.5s'],
    [at({ type: 'node-failed', node: 'app', message: 'step app:two failed\nlast lines...', durationMs: 1 }), 'app FAILED: step app:two failed'],
    [at({ type: 'node-skipped', node: 'leaf', reason: 'upstream-failed', upstream: 'app' }), 'leaf skipped (upstream app failed)'],
    [at({ type: 'node-skipped', node: 'other', reason: 'stopped' }), 'other skipped (build stopped)'],
    [at({ type: 'interrupted', signal: 'SIGINT' }), 'interrupted by SIGINT: stopping containers'],
    [at({ type: 'run-done', ok: true, durationMs: 500, ran: 0, cached: 9, failed: 0, skipped: 0 }), 'done in 0.5s: 0 ran, 9 cached, 0 failed, 0 skipped'],
    [at({ type: 'run-done', ok: false, durationMs: 61000, ran: 2, cached: 1, failed: 1, skipped: 2 }), 'FAILED in 61.0s: 2 ran, 1 cached, 1 failed, 2 skipped'],
  ];
  test.each(cases)('%#: %j', (event, line) => {
    expect(formatEvent(event, false)).toBe(line);
  });

  test('step output and cache hits show only when verbose', () => {
    const out = at({ type: 'step-output', node: 'app', step: 'one', stream: 'stdout', line: 'hi there' });
    const hit = at({ type: 'step-cached', node: 'app', step: 'one', key: 'k', image: IMAGE });
    expect(formatEvent(out, false)).toBeUndefined();
    expect(formatEvent(hit, false)).toBeUndefined();
    expect(formatEvent(out, true)).toBe('  app:one | hi there');
    expect(formatEvent(hit, true)).toBe('  app:one cached');
  });

  test('node-start prints nothing (the first step-start says it all)', () => {
    expect(formatEvent(at({ type: 'node-start', node: 'app' }), true)).toBeUndefined();
  });
});

describe('attachConsole', () => {
  test('writes one line per shown event, in order, and stops when detached', () => {
    const events = new BuildEvents();
    const sink = new PassThrough();
    let text = '';
    sink.on('data', (c: Buffer) => {
      text += c.toString();
    });
    const off = attachConsole(events, sink);
    events.emit({ type: 'node-start', node: 'app' });
    events.emit({ type: 'step-output', node: 'app', step: 'one', stream: 'stdout', line: 'quiet' });
    events.emit({ type: 'step-done', node: 'app', step: 'one', key: 'k', image: IMAGE, durationMs: 100 });
    events.emit({ type: 'run-done', ok: true, durationMs: 100, ran: 1, cached: 0, failed: 0, skipped: 0 });
    off();
    events.emit({ type: 'sweep', containers: 1 });
    expect(text).toBe('  app:one done in 0.1s\ndone in 0.1s: 1 ran, 0 cached, 0 failed, 0 skipped\n');
  });

  test('verbose shows step output lines', () => {
    const events = new BuildEvents();
    const lines: string[] = [];
    const sink = new PassThrough();
    sink.on('data', (c: Buffer) => lines.push(...c.toString().split('\n').filter(Boolean)));
    attachConsole(events, sink, true);
    events.emit({ type: 'step-output', node: 'app', step: 'one', stream: 'stderr', line: 'warning: x' });
    expect(lines).toEqual(['  app:one | warning: x']);
  });

  test('every event is stamped with the same clock for every listener', () => {
    const events = new BuildEvents();
    const seen: number[] = [];
    events.on((e) => seen.push(e.time));
    events.on((e) => seen.push(e.time));
    events.emit({ type: 'sweep', containers: 0 });
    expect(seen[0]).toBe(seen[1]);
    expect(seen[0]).toBeGreaterThan(0);
  });
});
