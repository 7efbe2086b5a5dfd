// Runs a DAG of jobs with bounded concurrency. A job starts once everything it depends on is
// done. On a failure nothing new starts (running jobs finish) unless keepGoing, which only skips
// what lies downstream of the failure. Knows nothing of containers: tests drive it with fakes.
import PQueue from 'p-queue';
import type { Job } from '../plan/jobs.js';

export type { Job };

export type Outcome<T> =
  { kind: 'done'; value: T } | { kind: 'failed'; error: unknown } | { kind: 'skipped'; reason: 'upstream-failed' | 'stopped'; upstream?: string };

export interface ScheduleOptions {
  concurrency: number;
  keepGoing: boolean;
  signal?: AbortSignal;
  onSkip?: (name: string, outcome: Extract<Outcome<never>, { kind: 'skipped' }>) => void;
}

/** `jobs` must be in topological order; `run` gets the values of the job's deps. */
export async function schedule<T>(
  jobs: Job[],
  run: (name: string, deps: ReadonlyMap<string, T>) => Promise<T>,
  opts: ScheduleOptions,
): Promise<Map<string, Outcome<T>>> {
  const outcomes = new Map<string, Outcome<T>>();
  const queue = new PQueue({ concurrency: Math.max(1, opts.concurrency) });
  const started = new Set<string>();
  let stopping = false;
  const values = new Map<string, T>();
  let settle: () => void = () => {};
  const allSettled = new Promise<void>((resolve) => (settle = resolve));

  const finish = (name: string, outcome: Outcome<T>) => {
    outcomes.set(name, outcome);
    if (outcome.kind === 'skipped') opts.onSkip?.(name, outcome);
    pump();
  };

  const pump = () => {
    for (const job of jobs) {
      if (started.has(job.name) || outcomes.has(job.name)) continue;
      const blocked = job.deps.find((d) => {
        const o = outcomes.get(d);
        return o && o.kind !== 'done';
      });
      if (blocked) {
        const o = outcomes.get(blocked)!;
        const upstream = o.kind === 'skipped' && o.upstream ? o.upstream : blocked;
        finish(job.name, { kind: 'skipped', reason: o.kind === 'skipped' ? o.reason : 'upstream-failed', upstream });
        return;
      }
      if (stopping || opts.signal?.aborted) {
        finish(job.name, { kind: 'skipped', reason: 'stopped' });
        return;
      }
      if (!job.deps.every((d) => outcomes.get(d)?.kind === 'done')) continue;
      started.add(job.name);
      void queue.add(async () => {
        // Queued before a failure or an abort, started after it: it must not start at all.
        if (stopping || opts.signal?.aborted) {
          finish(job.name, { kind: 'skipped', reason: 'stopped' });
          return;
        }
        try {
          const value = await run(job.name, new Map(job.deps.map((d) => [d, values.get(d)!])));
          values.set(job.name, value);
          finish(job.name, { kind: 'done', value });
        } catch (error) {
          if (!opts.keepGoing) stopping = true;
          finish(job.name, { kind: 'failed', error });
        }
      });
    }
    if (outcomes.size === jobs.length) settle();
  };

  opts.signal?.addEventListener('abort', () => pump(), { once: true });
  pump();
  await allSettled;
  await queue.onIdle();
  return outcomes;
}
