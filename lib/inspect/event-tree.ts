// A run's event log as a tree of actions (run -> node -> step), each with its outcome, how long
// it took and when it started relative to the run, as eliot-tree shows an eliot log.
import { describeChange } from '../cache/key-diff.js';
import { NO_COLORS, type Palette } from '../events/color.js';
import { type NodeView, pullOrigin, type RunView, type StepView } from '../events/progress-state.js';
import { colorOf, GLYPH } from '../events/live-frame.js';
import { drawTree, type TreeItem } from './text-tree.js';

export interface EventTreeOptions {
  node?: string;
  palette?: Palette;
  logs?: boolean;
  /** Where this run's log of a step is (the events name the stable, latest-run path). */
  logPathOf?: (node: string, step: string) => string;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)}s`;
const span = (a?: number, b?: number) => (a !== undefined && b !== undefined ? ` ⧖ ${secs(b - a)}` : '');

function offset(run: RunView, t?: number): string {
  return t !== undefined && run.started !== undefined ? ` @+${secs(t - run.started)}` : '';
}

const NODE_GLYPH: Record<NodeView['status'], string> = {
  pending: '·',
  running: '▶',
  done: '✔',
  cached: '◆',
  failed: '✖',
  skipped: '⊘',
};

type Opts = Required<Pick<EventTreeOptions, 'palette' | 'logs'>> & Pick<EventTreeOptions, 'logPathOf'>;

function stepItem(run: RunView, node: string, s: StepView, o: Opts): TreeItem {
  const p = o.palette;
  const outcome = s.status === 'failed' && s.exitCode !== undefined && s.exitCode >= 0 ? `failed (exit ${s.exitCode})` : s.status;
  const took = s.status === 'cached' ? '' : span(s.started, s.ended);
  const label = `${colorOf(s.status, p)(`${GLYPH[s.status]} ${s.step} ⇒ ${outcome}`)}${took}${p.dim(offset(run, s.started))}`;
  const children: TreeItem[] = [];
  const why = s.reasons.map(describeChange).join(', ');
  if (why) children.push({ label: `why: ${why}` });
  const pulled = s.pulledFrom && pullOrigin(s);
  if (pulled) children.push({ label: pulled });
  const log = o.logPathOf?.(node, s.step) ?? s.logPath;
  if (o.logs && log && s.status !== 'cached') children.push({ label: p.dim(`log: ${log}`) });
  return { label, children };
}

function nodeItem(run: RunView, n: NodeView, o: Opts): TreeItem {
  const p = o.palette;
  const outcome = n.status === 'done' ? 'built' : n.status;
  const label = `${colorOf(n.status, p)(`${NODE_GLYPH[n.status]} ${p.bold(n.node)} ⇒ ${outcome}`)}${span(n.started, n.ended)}${p.dim(offset(run, n.started))}`;
  const children: TreeItem[] = [];
  if (n.message && n.status === 'skipped') children.push({ label: n.message });
  for (const s of n.steps) if (s.status !== 'pending') children.push(stepItem(run, n.node, s, o));
  if (n.message && n.status === 'failed') children.push({ label: p.red(n.message.split('\n').slice(0, 1).join('')) });
  return { label, children };
}

export function eventTree(run: RunView, opts: EventTreeOptions = {}): string[] {
  const o: Opts = { palette: opts.palette ?? NO_COLORS, logs: opts.logs ?? true, logPathOf: opts.logPathOf };
  const p = o.palette;
  const c = run.counts;
  const outcome = run.ok === undefined ? p.yellow('running (or stopped without an end)') : run.ok ? p.green('succeeded') : p.red('failed');
  const counts = c ? p.dim(` (${c.ran} ran, ${c.cached} cached, ${c.failed} failed, ${c.skipped} skipped)`) : '';
  const when = run.started !== undefined ? p.dim(` ${new Date(run.started).toISOString()}`) : '';
  const root: TreeItem = {
    label: `run ${run.run ?? '?'} · tree ${run.tree ?? '?'} ⇒ ${outcome}${span(run.started, run.ended)}${counts}${when}`,
    children: [],
  };
  if (run.swept && !opts.node) root.children!.push({ label: p.yellow(`sweep: removed ${run.swept} container(s) left by an interrupted run`) });
  for (const n of run.nodes.values()) {
    if (opts.node && n.node !== opts.node) continue;
    root.children!.push(nodeItem(run, n, o));
  }
  if (run.interrupted) root.children!.push({ label: p.yellow(`interrupted by ${run.interrupted}`) });
  return drawTree(root);
}
