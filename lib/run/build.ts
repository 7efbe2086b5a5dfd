// One build of a tree: every step's key from the config, sweep leftovers, index the engine's
// images, run the DAG (each step decided by the probe `stalker plan` shows), report.
import { mkdtemp, rm, symlink, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RemoteCache } from '../cache/remote-cache.js';
import type { SharedCacheOptions } from '../cache/shared-cache-options.js';
import type { ResolvedTree } from '../config/types.js';
import type { Engine } from '../engine/engine-port.js';
import { StalkerError } from '../errors.js';
import type { BuildEvents, StalkerEvent } from '../events/events.js';
import { attachJsonLog } from '../events/json-log.js';
import { LogPaths, newRunId } from '../logs/log-paths.js';
import { jobsOf } from '../plan/jobs.js';
import { runGraphOf } from '../plan/node-steps.js';
import { forcedNodes } from '../plan/probe.js';
import { sharableKeys } from '../plan/shared-keys.js';
import { treeKeys } from '../plan/tree-keys.js';
import { writeRunReport } from '../report/write-report.js';
import { debug } from '../util/debug.js';
import type { BuildContext } from './build-context.js';
import { acquireBuildLock } from './build-lock.js';
import { EngineSession } from './engine-session.js';
import { type NodeResult, runNode } from './node-runner.js';
import { type Outcome, schedule } from './scheduler.js';

export interface BuildRequest {
  tree: ResolvedTree;
  engine: Engine;
  events: BuildEvents;
  jobs: number;
  keepGoing: boolean;
  noCache: boolean;
  rebuild: string[];
  logsDir: string;
  cacheDir: string;
  signal: AbortSignal;
  /** The shared step cache: read hits from `from`, push what this run has to `to` (push rights). */
  cache?: SharedCacheOptions;
}

export interface BuildSummary {
  ok: boolean;
  runId: string;
  outcomes: Map<string, Outcome<NodeResult>>;
  errors: unknown[];
  eventLog: string;
}

export async function build(req: BuildRequest): Promise<BuildSummary> {
  const { tree } = req;
  for (const name of req.rebuild) {
    if (!tree.nodes.has(name)) throw new StalkerError('USAGE', `--rebuild ${name}: no such node in tree ${tree.name}`);
  }
  const runId = newRunId();
  const unlock = await acquireBuildLock(tree.repository, { run: runId, tree: tree.file });
  try {
    return await buildLocked(req, runId);
  } finally {
    await unlock();
  }
}

async function buildLocked(req: BuildRequest, runId: string): Promise<BuildSummary> {
  const { tree, engine, events } = req;
  const started = Date.now();
  const logs = new LogPaths(req.logsDir, tree.name, runId);
  // The engine's answer (sweep, image index) is on its way while the event log opens and the keys
  // are computed; it is awaited (and its failure handled) inside the try below.
  const opening = EngineSession.open(engine, tree.name);
  opening.catch(() => {});
  const closeLog = await attachJsonLog(events, logs.events);
  const counts = { ran: 0, cached: 0, failed: 0, skipped: 0, pulled: 0 };
  const seen: StalkerEvent[] = []; // for the run's HTML report; output lines stay in the step logs
  const offCount = events.on((e) => {
    if (e.type !== 'step-output') seen.push(e);
    if (e.type === 'step-done') counts.ran++;
    else if (e.type === 'step-cached') {
      counts.cached++;
      if (e.source === 'registry') counts.pulled++;
    } else if (e.type === 'node-failed') counts.failed++;
    else if (e.type === 'node-skipped') counts.skipped++;
  });
  const jobs = jobsOf(tree);
  events.emit({ type: 'run-start', run: runId, tree: tree.name, nodes: jobs.map((j) => j.name), jobs: req.jobs, graph: runGraphOf(tree) });
  const stagingDir = await mkdtemp(join(tmpdir(), `stalker-${runId}-`));
  // Keys first, from the config alone: nothing below asks an engine what a key is.
  const keys = treeKeys(tree, engine.executor);
  const forced = forcedNodes(tree, { noCache: req.noCache, rebuild: req.rebuild });
  let session: EngineSession | undefined;
  let remote: RemoteCache | undefined;
  const onAbort = () => {
    events.emit({ type: 'interrupted', signal: String(req.signal.reason ?? 'abort') });
    session?.interrupt();
  };
  req.signal.addEventListener('abort', onAbort, { once: true });
  const errors: unknown[] = [];
  try {
    const opened = await opening;
    session = opened.session;
    if (opened.swept) events.emit({ type: 'sweep', containers: opened.swept });
    if (req.cache?.from || req.cache?.to) {
      const { RemoteCache } = await import('../cache/remote-cache.js'); // only with a shared cache
      remote = new RemoteCache(engine, {
        ...req.cache,
        warn: (message) => events.emit({ type: 'cache-warning', message }),
        pushed: (key, o) => events.emit({ type: 'cache-push', key, ok: o.kind === 'pushed', detail: o.kind === 'pushed' ? o.ref : o.message }),
      });
      // Every key is known now: one round of HEADs decides local hit / remote hit / miss up front.
      await remote.classify(sharableKeys(keys, forced));
    }
    const ctx: BuildContext = {
      session,
      events,
      tree,
      runId,
      logs,
      stagingDir,
      cacheDir: req.cacheDir,
      signal: req.signal,
      keys,
      probe: { tree, engine, index: session.index, forced, remote },
      remote,
    };
    const outcomes = await schedule<NodeResult>(
      jobs,
      async (name, deps) => {
        const t0 = Date.now();
        try {
          return await runNode(ctx, tree.nodes.get(name)!, new Map([...deps].map(([k, v]) => [k, v.image])));
        } catch (err) {
          errors.push(err);
          events.emit({ type: 'node-failed', node: name, message: err instanceof Error ? err.message : String(err), durationMs: Date.now() - t0 });
          throw err;
        }
      },
      {
        concurrency: req.jobs,
        keepGoing: req.keepGoing,
        signal: req.signal,
        onSkip: (node, o) => events.emit({ type: 'node-skipped', node, reason: o.reason, upstream: o.upstream }),
      },
    );
    const ok = [...outcomes.values()].every((o) => o.kind === 'done') && !req.signal.aborted;
    if (req.signal.aborted && !errors.length) errors.push(new StalkerError('INTERRUPTED', 'build interrupted'));
    return { ok, runId, outcomes, errors, eventLog: logs.events };
  } catch (err) {
    errors.push(err); // the engine did not answer: the run is over, and not ok
    throw err;
  } finally {
    req.signal.removeEventListener('abort', onAbort);
    await session?.settle();
    await remote?.settle(); // pushes never fail the build, but the run waits for them to end
    await rm(stagingDir, { recursive: true, force: true });
    await unlink(logs.latestLink).catch(() => {});
    await symlink(join('runs', runId), logs.latestLink).catch(() => {});
    const ok = errors.length === 0 && !req.signal.aborted;
    events.emit({ type: 'run-done', ok, durationMs: Date.now() - started, ...counts });
    offCount();
    await closeLog();
    // A report that cannot be written never fails the build it describes.
    await writeRunReport(logs.runDir, seen).catch((err: unknown) => debug('report', `not written: ${String(err)}`));
  }
}
