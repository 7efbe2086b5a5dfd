// One build of a tree: every step's key from the config, sweep leftovers, index the engine's
// images, run the DAG (each step decided by the probe `stalker plan` shows), report.
import { mkdtemp, rm, symlink, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RemoteCache } from '../cache/remote-cache.js';
import type { SharedCacheOptions } from '../cache/shared-cache-options.js';
import type { ResolvedTree } from '../config/types.js';
import PQueue from 'p-queue';
import type { Engine } from '../engine/engine-port.js';
import { StalkerError } from '../errors.js';
import type { BuildEvents, StalkerEvent } from '../events/events.js';
import { attachJsonLog } from '../events/json-log.js';
import { LogPaths, newRunId } from '../logs/log-paths.js';
import { jobsOf } from '../plan/jobs.js';
import { runGraphOf } from '../plan/node-steps.js';
import { expectedTags } from '../plan/expected-tags.js';
import { forcedNodes } from '../plan/probe.js';
import { routeTree, singleRoute } from '../plan/route.js';
import { sharableKeys } from '../plan/shared-keys.js';
import { treeKeys } from '../plan/tree-keys.js';
import { writeRunReport } from '../report/write-report.js';
import { debug } from '../util/debug.js';
import type { BuildContext } from './build-context.js';
import { type BuildEngine, type BuildSite, engineFailed, lockOf, openSessions, routable } from './build-engines.js';
import { acquireBuildLock } from './build-lock.js';
import type { EngineSession } from './engine-session.js';
import { type BuiltNode, finalsHere } from './image-move.js';
import { type NodeResult, runNode } from './node-runner.js';
import { type Outcome, schedule } from './scheduler.js';

export interface BuildRequest {
  tree: ResolvedTree;
  /** The engine of a build without a site file; with one, `site.engines` (this one is ignored). */
  engine: Engine;
  /** A site file's engines: each node is routed to one of them (lib/plan/route.ts). */
  site?: BuildSite;
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
  outcomes: Map<string, Outcome<NodeResult & BuiltNode>>;
  errors: unknown[];
  eventLog: string;
}

export async function build(req: BuildRequest): Promise<BuildSummary> {
  const { tree } = req;
  for (const name of req.rebuild) {
    if (!tree.nodes.has(name)) throw new StalkerError('USAGE', `--rebuild ${name}: no such node in tree ${tree.name}`);
  }
  const runId = newRunId();
  const engines = req.site?.engines ?? [{ name: req.engine.kind, engine: req.engine, platforms: [], emulates: [], push: true }];
  // One lock per engine whose tags this build moves, taken in a fixed order (no deadlock between two builds).
  const unlocks: (() => Promise<void>)[] = [];
  try {
    for (const on of [...new Set(engines.map(lockOf))].sort()) unlocks.push(await acquireBuildLock(tree.repository, { run: runId, tree: tree.file }, on));
    return await buildLocked(req, runId, engines);
  } finally {
    for (const unlock of unlocks.reverse()) await unlock();
  }
}

async function buildLocked(req: BuildRequest, runId: string, engines: BuildEngine[]): Promise<BuildSummary> {
  const { tree, events } = req;
  const started = Date.now();
  const engine = engines[0].engine; // one executor per site (the loader checks): the keys' part
  const logs = new LogPaths(req.logsDir, tree.name, runId);
  // Keys first, from the config alone: nothing below asks an engine what a key is. The engines'
  // answers (sweep, image index: the steps' tags checked for these keys) are on their way while
  // the event log opens; they are awaited (and a failure handled) inside the try below.
  const keys = treeKeys(tree, engine.executor);
  const opening = openSessions(engines, tree.name, !!req.site, expectedTags(tree, keys));
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
  const forced = forcedNodes(tree, { noCache: req.noCache, rebuild: req.rebuild });
  let sessions: Map<string, EngineSession> | undefined;
  let remote: RemoteCache | undefined;
  const onAbort = () => {
    events.emit({ type: 'interrupted', signal: String(req.signal.reason ?? 'abort') });
    for (const s of sessions?.values() ?? []) s.interrupt();
  };
  req.signal.addEventListener('abort', onAbort, { once: true });
  const errors: unknown[] = [];
  try {
    const opened = await opening;
    sessions = opened.sessions;
    if (opened.swept) events.emit({ type: 'sweep', containers: opened.swept });
    // Which engine runs each node: a plan decision, before anything runs (an unroutable platform stops here).
    const routes = req.site
      ? routeTree(
          tree,
          keys,
          engines.map((e) => routable(e, sessions!.get(e.name)!, req.jobs)),
          req.site.file,
        )
      : singleRoute(tree, engines[0].name);
    const remotes = new Map<string, RemoteCache>();
    if (req.cache?.from || req.cache?.to) {
      const { RemoteCache } = await import('../cache/remote-cache.js'); // only with a shared cache
      remote = new RemoteCache(engine, {
        ...req.cache,
        owner: { run: runId, tree: tree.name },
        warn: (message) => events.emit({ type: 'cache-warning', message }),
        pushed: (key, o) =>
          events.emit({
            type: 'cache-push',
            key,
            ok: o.kind !== 'failed',
            detail: o.kind === 'failed' ? o.message : o.kind === 'there' ? `${o.ref} (already there: pushed by another run)` : o.ref,
          }),
      });
      for (const e of engines) remotes.set(e.name, remote.forEngine(e.engine, e.push));
      // Every key is known now: one round of HEADs decides local hit / remote hit / miss up front.
      await remote.classify(sharableKeys(keys, forced));
    }
    const base: Omit<BuildContext, 'session' | 'probe' | 'remote'> = {
      events,
      tree,
      runId,
      logs,
      stagingDir,
      cacheDir: req.cacheDir,
      signal: req.signal,
      keys,
      sessions,
      remotes,
      routes,
      moved: new Map(),
    };
    const ctxOf = (name: string): BuildContext => {
      const session = sessions!.get(name)!;
      return {
        ...base,
        session,
        probe: { tree, engine: session.engine, index: session.index, forced, remote: remotes.get(name) },
        remote: remotes.get(name),
        ...(req.site ? { engineName: name } : {}),
      };
    };
    // Each engine runs at most its jobs nodes at once; the scheduler as many as all engines together.
    const limits = new Map(engines.map((e) => [e.name, new PQueue({ concurrency: e.jobs ?? req.jobs })]));
    const outcomes = await schedule<NodeResult & BuiltNode>(
      jobs,
      async (name, deps) => {
        const t0 = Date.now();
        const route = routes.get(name)!;
        const declared = engines.find((e) => e.name === route.engine)!;
        try {
          return await limits.get(route.engine)!.add(async () => {
            const ctx = ctxOf(route.engine);
            const finals = await finalsHere(ctx, route.engine, deps);
            return { ...(await runNode(ctx, tree.nodes.get(name)!, finals, route)), engine: route.engine };
          });
        } catch (raw) {
          const err = req.site ? engineFailed(raw, declared) : raw;
          errors.push(err);
          events.emit({ type: 'node-failed', node: name, message: err instanceof Error ? err.message : String(err), durationMs: Date.now() - t0 });
          throw err;
        }
      },
      {
        concurrency: req.site ? engines.reduce((n, e) => n + (e.jobs ?? req.jobs), 0) : req.jobs,
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
    for (const s of sessions?.values() ?? []) await s.settle();
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
