// What a build looks like right now, folded from its events: each node and step with its state,
// timing and last output line. The live view draws it; the HTML report and `stalker events` read
// the same fold from a finished run's log.
import type { KeyChange } from '../cache/key-diff.js';
import type { CacheSource, RunGraphNode, StalkerEvent } from './events.js';

export type StepStatus = 'pending' | 'running' | 'done' | 'cached' | 'failed';
export type NodeStatus = 'pending' | 'running' | 'done' | 'cached' | 'failed' | 'skipped';

export interface StepView {
  step: string;
  status: StepStatus;
  started?: number;
  ended?: number;
  reasons: KeyChange[];
  lastLine?: string;
  exitCode?: number;
  logPath?: string;
  image?: string;
  source?: CacheSource; // for a cached step: from this engine or pulled from the registry
  pulledFrom?: string; // the registry reference a cached step's image was pulled from (now or before)
}

/** Where a cached step's image came from when not built here: pulled by this run, or by an earlier one. */
export function pullOrigin(s: StepView): string | undefined {
  if (s.source === 'registry') return `pulled from ${s.pulledFrom ?? 'registry'}`;
  return s.pulledFrom ? `pulled earlier from ${s.pulledFrom}` : undefined;
}

export interface NodeView {
  node: string;
  status: NodeStatus;
  started?: number;
  ended?: number;
  steps: StepView[];
  message?: string; // why it failed or was skipped
  graph?: RunGraphNode;
  engine?: string; // the site's engine that ran it (routing), with whether natively or emulated
  route?: 'native' | 'emulated';
}

export interface RunView {
  run?: string;
  tree?: string;
  jobs?: number;
  started?: number;
  ended?: number;
  ok?: boolean;
  counts?: { ran: number; cached: number; failed: number; skipped: number };
  swept: number;
  warnings: string[]; // shared-cache warnings (registry down, push failed)
  interrupted?: string;
  nodes: Map<string, NodeView>;
}

export function emptyRun(): RunView {
  return { swept: 0, warnings: [], nodes: new Map() };
}

function nodeOf(run: RunView, name: string): NodeView {
  let n = run.nodes.get(name);
  if (!n) {
    n = { node: name, status: 'pending', steps: [] };
    run.nodes.set(name, n);
  }
  return n;
}

function stepOf(node: NodeView, name: string): StepView {
  let s = node.steps.find((x) => x.step === name);
  if (!s) {
    s = { step: name, status: 'pending', reasons: [] };
    node.steps.push(s);
  }
  return s;
}

/** Applies one event; returns the same (mutated) view for chaining. */
export function applyEvent(run: RunView, e: StalkerEvent): RunView {
  switch (e.type) {
    case 'run-start': {
      Object.assign(run, { run: e.run, tree: e.tree, jobs: e.jobs, started: e.time });
      for (const name of e.nodes) nodeOf(run, name);
      for (const g of e.graph ?? []) {
        const n = nodeOf(run, g.node);
        n.graph = g;
        for (const s of g.steps) stepOf(n, s);
      }
      break;
    }
    case 'sweep':
      run.swept += e.containers;
      break;
    case 'node-start':
      Object.assign(nodeOf(run, e.node), { status: 'running', started: e.time }, e.engine ? { engine: e.engine, route: e.route } : {});
      break;
    case 'image-moved':
      break;
    case 'step-start': {
      const s = stepOf(nodeOf(run, e.node), e.step);
      Object.assign(s, { status: 'running', started: e.time, reasons: e.reasons, logPath: e.logPath });
      break;
    }
    case 'step-output':
      stepOf(nodeOf(run, e.node), e.step).lastLine = e.line;
      break;
    case 'step-cached':
      Object.assign(stepOf(nodeOf(run, e.node), e.step), {
        status: 'cached',
        started: e.time,
        ended: e.time,
        image: e.image,
        source: e.source ?? 'local',
        ...(e.pulledFrom ? { pulledFrom: e.pulledFrom } : {}),
      });
      break;
    case 'step-done':
      Object.assign(stepOf(nodeOf(run, e.node), e.step), { status: 'done', ended: e.time, image: e.image, started: e.time - e.durationMs });
      break;
    case 'step-failed': {
      const s = stepOf(nodeOf(run, e.node), e.step);
      Object.assign(s, { status: 'failed', ended: e.time, exitCode: e.exitCode, logPath: e.logPath, started: e.time - e.durationMs });
      break;
    }
    case 'node-done':
      Object.assign(nodeOf(run, e.node), { status: e.cached ? 'cached' : 'done', ended: e.time, started: e.time - e.durationMs });
      break;
    case 'node-failed':
      Object.assign(nodeOf(run, e.node), { status: 'failed', ended: e.time, message: e.message, started: e.time - e.durationMs });
      break;
    case 'node-skipped': {
      const why = e.reason === 'stopped' ? 'build stopped' : `upstream ${e.upstream} failed`;
      Object.assign(nodeOf(run, e.node), { status: 'skipped', message: why });
      break;
    }
    case 'interrupted':
      run.interrupted = e.signal;
      break;
    case 'cache-warning':
      run.warnings.push(e.message);
      break;
    case 'cache-push':
      break;
    case 'run-done': {
      Object.assign(run, { ended: e.time, ok: e.ok, counts: { ran: e.ran, cached: e.cached, failed: e.failed, skipped: e.skipped } });
      // Steps still marked running when the run ended were stopped with it.
      for (const n of run.nodes.values()) {
        if (n.status === 'running') Object.assign(n, { status: 'failed', ended: e.time, message: n.message ?? 'stopped' });
        for (const s of runningSteps(n)) Object.assign(s, { status: 'failed', ended: e.time });
      }
      break;
    }
    default: {
      const never: never = e;
      return never;
    }
  }
  return run;
}

export function foldEvents(events: Iterable<StalkerEvent>): RunView {
  const run = emptyRun();
  for (const e of events) applyEvent(run, e);
  return run;
}

export const runningSteps = (n: NodeView) => n.steps.filter((s) => s.status === 'running');
