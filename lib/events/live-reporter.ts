// The live view on a terminal: finished things print once as permanent lines (what the plain
// view would say, marked and colored); below them, a block redrawn in place shows what runs now.
// One exhaustive switch decides what each event prints.
import { describeChange } from '../cache/key-diff.js';
import { NO_COLORS, type Palette, seconds } from './color.js';
import type { BuildEvents, StalkerEvent } from './events.js';
import { renderFrame } from './live-frame.js';
import { applyEvent, emptyRun, type RunView } from './progress-state.js';

export interface LiveOptions {
  verbose?: boolean;
  palette?: Palette;
  /** Columns of the terminal; read from the stream when it knows. */
  width?: number;
  now?: () => number;
  /** Redraw period for elapsed times and spinners; 0 disables the timer (tests). */
  tickMs?: number;
}

const why = (e: { reasons: Parameters<typeof describeChange>[0][] }) => {
  const text = e.reasons.map(describeChange).join(', ');
  return text ? ` (${text})` : '';
};

/** The permanent line an event leaves in the scrollback, if any. */
export function liveLine(e: StalkerEvent, run: RunView, verbose: boolean, p: Palette): string | undefined {
  switch (e.type) {
    case 'run-start':
      return p.dim(`run ${e.run}: tree ${e.tree}, ${e.nodes.length} nodes, ${e.jobs} jobs`);
    case 'sweep':
      return p.yellow(`removed ${e.containers} container(s) left by an interrupted run`);
    case 'node-start':
      return e.engine ? p.dim(`${e.node} on engine ${e.engine}${e.route === 'emulated' ? ' (emulated)' : ''}`) : undefined;
    case 'image-moved':
      return p.dim(`  ${e.node}'s image ${e.from} -> ${e.to} (${e.via === 'registry' ? 'through the registry' : 'streamed'}) in ${seconds(e.durationMs)}`);
    case 'step-start':
      return verbose ? p.dim(`  ${e.node}:${e.step} running${why(e)}`) : undefined;
    case 'step-output':
      return verbose ? p.dim(`  ${e.node}:${e.step} | ${e.line}`) : undefined;
    case 'step-cached':
      return verbose || e.source === 'registry' ? p.blue(`◆ ${e.node}:${e.step} cached${e.source === 'registry' ? ' (pulled from registry)' : ''}`) : undefined;
    case 'step-done': {
      const step = run.nodes.get(e.node)?.steps.find((s) => s.step === e.step);
      return `${p.green('✔')} ${e.node}:${e.step} ${p.dim(`${seconds(e.durationMs)}${step ? why(step) : ''}`)}`;
    }
    case 'step-failed':
      return p.red(`✖ ${e.node}:${e.step}${e.engine ? ` on ${e.engine}` : ''} FAILED (exit ${e.exitCode}) after ${seconds(e.durationMs)}  log: ${e.logPath}`);
    case 'node-done': {
      const steps = run.nodes.get(e.node)?.steps ?? [];
      const hits = steps.filter((s) => s.status === 'cached').length;
      if (e.cached) return p.blue(`◆ ${e.node} cached (${hits} step${hits === 1 ? '' : 's'}) ${e.image.slice(7, 19)}`);
      const note = hits ? `, ${hits} cached` : '';
      return `${p.green('✔')} ${p.bold(e.node)} built ${e.image.slice(7, 19)} in ${seconds(e.durationMs)}${p.dim(note)}`;
    }
    case 'node-failed':
      return p.red(`✖ ${p.bold(e.node)} FAILED: ${e.message.split('\n')[0]}`);
    case 'node-skipped':
      return p.yellow(`⊘ ${e.node} skipped (${e.reason === 'stopped' ? 'build stopped' : `upstream ${e.upstream} failed`})`);
    case 'cache-warning':
      return p.yellow(`warning: ${e.message}`);
    case 'cache-push':
      return verbose || !e.ok ? p.dim(`  push ${e.key.slice(0, 12)} ${e.ok ? 'done' : 'failed'}: ${e.detail}`) : undefined;
    case 'interrupted':
      return p.yellow(`interrupted by ${e.signal}: stopping containers`);
    case 'run-done': {
      const total = run.nodes.size;
      const counts = `${e.ran} ran, ${e.cached} cached${e.pulled ? ` (${e.pulled} from registry)` : ''}, ${e.failed} failed, ${e.skipped} skipped, ${total} node${total === 1 ? '' : 's'}`;
      return e.ok ? p.green(`✔ done in ${seconds(e.durationMs)}: ${counts}`) : p.red(`✖ FAILED in ${seconds(e.durationMs)}: ${counts}`);
    }
    default: {
      const never: never = e;
      return never;
    }
  }
}

type TtyStream = NodeJS.WritableStream & { columns?: number };

export function attachLive(events: BuildEvents, out: TtyStream, opts: LiveOptions = {}): () => void {
  const palette = opts.palette ?? NO_COLORS;
  const now = opts.now ?? Date.now;
  const run = emptyRun();
  let drawn = 0; // lines of the live block currently on screen
  let finished = false;
  const width = () => opts.width ?? (out.columns || Number(process.env.COLUMNS) || 80);

  const draw = (permanent?: string) => {
    let text = drawn ? `\x1b[${drawn}A\r\x1b[0J` : '';
    if (permanent !== undefined) text += `${permanent}\n`;
    const frame = finished ? [] : renderFrame(run, { now: now(), width: width(), palette });
    text += frame.map((l) => `${l}\n`).join('');
    drawn = frame.length;
    out.write(text);
  };

  let dirty = false;
  const timer =
    opts.tickMs === 0
      ? undefined
      : setInterval(() => {
          if (!finished && (dirty || run.started !== undefined)) {
            dirty = false;
            draw();
          }
        }, opts.tickMs ?? 100);
  timer?.unref();

  const off = events.on((e) => {
    applyEvent(run, e);
    const line = liveLine(e, run, !!opts.verbose, palette);
    if (e.type === 'run-done') finished = true;
    // Output lines arrive in floods; the timer picks them up instead of redrawing per line.
    if (line === undefined && e.type === 'step-output') {
      dirty = true;
      return;
    }
    draw(line);
    if (finished && timer) clearInterval(timer);
  });
  return () => {
    off();
    if (timer) clearInterval(timer);
  };
}
