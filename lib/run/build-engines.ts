// The engines of one build: without a site file, today's one engine; with one, every engine the
// site declares, each opened as a session (its leftovers swept, its images indexed) under its name.
import type { ExpectedTags } from '../cache/image-index.js';
import type { Engine } from '../engine/engine-port.js';
import { EngineError, StalkerError, StepFailed } from '../errors.js';
import type { RoutableEngine } from '../plan/route.js';
import { EngineSession } from './engine-session.js';

export interface BuildEngine {
  name: string;
  engine: Engine;
  /** Native and emulated platforms as the site declares them (routing). */
  platforms: string[];
  emulates: string[];
  /** Nodes it runs at once (default: the build's jobs). */
  jobs?: number;
  /** May this engine write to the shared cache. */
  push: boolean;
  /** Where it is (a DOCKER_HOST-style address, a store), for messages and its build lock; absent: the default engine. */
  where?: string;
}

/** The engines of a build with a site file (absent: the request's one engine, unrouted). */
export interface BuildSite {
  file: string;
  engines: BuildEngine[];
}

export async function openSessions(
  engines: BuildEngine[],
  tree: string,
  named: boolean,
  tags: ExpectedTags,
): Promise<{ sessions: Map<string, EngineSession>; swept: number }> {
  // All at once (each waits on its own daemon); a failure is reported for the first engine in site order.
  const opened = await Promise.allSettled(
    engines.map(async (e) => {
      try {
        if (named) await fillPlatforms(e);
        return await EngineSession.open(e.engine, tree, tags);
      } catch (err) {
        throw named ? engineFailed(err, e) : err;
      }
    }),
  );
  const sessions = new Map<string, EngineSession>();
  let swept = 0;
  opened.forEach((o, i) => {
    if (o.status === 'rejected') throw o.reason;
    sessions.set(engines[i].name, o.value.session);
    swept += o.value.swept;
  });
  return { sessions, swept };
}

/**
 * A site engine that declares neither `platforms` nor `emulates` runs what it says it runs: its
 * host's platform natively, and what binfmt emulates there (readable for a local daemon only).
 */
export async function fillPlatforms(e: BuildEngine): Promise<void> {
  if (e.platforms.length || e.emulates.length) return;
  const d = await e.engine.describe();
  e.platforms = d.native;
  e.emulates = d.emulated;
}

export function routable(e: BuildEngine, session: EngineSession, jobs: number): RoutableEngine {
  return { name: e.name, platforms: e.platforms, emulates: e.emulates, jobs: e.jobs ?? jobs, holds: (key) => !!session.index.lookup(key) };
}

/**
 * An engine call that failed (the engine stopped answering, or refused) becomes an error naming
 * the site's engine; a step's own failure (exit code) is the step's, and stays as it is.
 */
export function engineFailed(err: unknown, e: BuildEngine): unknown {
  if (err instanceof StepFailed || !(err instanceof StalkerError) || err.code === 'INTERRUPTED') return err;
  if (!(err instanceof EngineError) && err.code !== 'ENGINE') return err;
  return new StalkerError('ENGINE', `engine ${e.name}${e.where ? ` (${e.where})` : ''} failed: ${err.message}`, { cause: err });
}

const DEFAULT_SOCKETS = new Set(['unix:///var/run/docker.sock', 'unix:///run/docker.sock']);

/** The engine a build lock is taken on: the default daemon's lock is the one a build without a site file takes. */
export function lockOf(e: BuildEngine): string | undefined {
  return e.where && !DEFAULT_SOCKETS.has(e.where) ? e.where : undefined;
}
