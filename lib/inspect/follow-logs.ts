// `stalker logs -f`: prints a run's step logs as they grow, in step order, until the followed
// step (or node) has finished in that run's event log, or the run has ended.
import { existsSync } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseEventLog } from '../events/json-log.js';
import { foldEvents, type RunView } from '../events/progress-state.js';
import type { RunRef } from './run-select.js';

export interface FollowTarget {
  node: string;
  steps: string[];
  step?: string;
}

export interface FollowOptions {
  out: NodeJS.WritableStream;
  pollMs?: number;
  signal?: AbortSignal;
}

async function readRun(run: RunRef): Promise<RunView> {
  if (!existsSync(run.paths.events)) return foldEvents([]);
  // The last line may be half written while the run goes on: parse only complete lines.
  const text = await readFile(run.paths.events, 'utf8');
  return foldEvents(parseEventLog(text.slice(0, text.lastIndexOf('\n') + 1)));
}

function finished(view: RunView, t: FollowTarget): { done: boolean; failed: boolean } {
  if (view.ended !== undefined) {
    const n = view.nodes.get(t.node);
    return { done: true, failed: !view.ok && (n?.status === 'failed' || n?.status === 'skipped') };
  }
  const n = view.nodes.get(t.node);
  if (!n) return { done: false, failed: false };
  if (t.step) {
    const s = n.steps.find((x) => x.step === t.step);
    if (s && (s.status === 'done' || s.status === 'cached' || s.status === 'failed')) return { done: true, failed: s.status === 'failed' };
  }
  if (n.status === 'done' || n.status === 'cached') return { done: true, failed: false };
  if (n.status === 'failed' || n.status === 'skipped') return { done: true, failed: true };
  return { done: false, failed: false };
}

/** Resolves with 0 when what it followed succeeded (or was cached), 1 when it failed or was skipped. */
export async function followLogs(run: RunRef, target: FollowTarget, opts: FollowOptions): Promise<number> {
  const offsets = new Map<string, number>();
  let current: string | undefined;
  const steps = target.step ? [target.step] : target.steps;
  const drain = async () => {
    for (const step of steps) {
      const file = run.paths.stepInRun(target.node, step);
      const size = existsSync(file) ? (await stat(file)).size : 0;
      const from = offsets.get(step) ?? 0;
      if (size <= from) continue;
      if (!target.step && current !== step) opts.out.write(`==> ${target.node}:${step} (${file}) <==\n`);
      current = step;
      const fh = await open(file, 'r');
      try {
        const buf = Buffer.alloc(size - from);
        await fh.read(buf, 0, buf.length, from);
        opts.out.write(buf);
      } finally {
        await fh.close();
      }
      offsets.set(step, size);
    }
  };
  for (;;) {
    const state = finished(await readRun(run), target);
    await drain();
    if (state.done) return state.failed ? 1 : 0;
    if (opts.signal?.aborted) return 130;
    await sleep(opts.pollMs ?? 200, undefined, { signal: opts.signal }).catch(() => {});
  }
}
