// Runs the real build (scheduler, node runner, step kinds, probes) against the fake engine and
// records the events; and the plan of the same tree, as `stalker plan --json` would make it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageIndex } from '../../lib/cache/image-index.js';
import type { ResolvedTree } from '../../lib/config/types.js';
import type { Engine } from '../../lib/engine/engine-port.js';
import { BuildEvents, type StalkerEvent } from '../../lib/events/events.js';
import { planTree, type PlannedNode } from '../../lib/plan/plan.js';
import { build, type BuildSummary } from '../../lib/run/build.js';
import type { BuildSite } from '../../lib/run/build-engines.js';

// builds take a lock per repository; keep the unit tests' locks out of the host's lock dir
process.env.STALKER_LOCK_DIR ??= mkdtempSync(join(tmpdir(), 'stalker-locks-'));

export interface FakeRunResult {
  summary: BuildSummary;
  events: StalkerEvent[];
}
export interface FakeBuildOptions {
  jobs?: number;
  keepGoing?: boolean;
  noCache?: boolean;
  rebuild?: string[];
  signal?: AbortSignal;
  onEvent?: (e: StalkerEvent) => void;
  site?: BuildSite;
}

export async function buildOn(engine: Engine, tree: ResolvedTree, opts: FakeBuildOptions = {}): Promise<FakeRunResult> {
  const events = new BuildEvents();
  const seen: StalkerEvent[] = [];
  events.on((e) => {
    seen.push(e);
    opts.onEvent?.(e);
  });
  const summary = await build({
    tree,
    engine,
    events,
    jobs: opts.jobs ?? 1,
    keepGoing: !!opts.keepGoing,
    noCache: !!opts.noCache,
    rebuild: opts.rebuild ?? [],
    logsDir: join(tree.root, 'logs'),
    cacheDir: join(tree.root, 'caches'),
    signal: opts.signal ?? new AbortController().signal,
    ...(opts.site ? { site: opts.site } : {}),
  });
  return { summary, events: seen };
}

export async function planOn(engine: Engine, tree: ResolvedTree, opts: { noCache?: boolean; rebuild?: string[] } = {}): Promise<PlannedNode[]> {
  return planTree({ tree, engine, index: await ImageIndex.load(engine), ...opts });
}

const stepsOf = (r: FakeRunResult, type: StalkerEvent['type']) =>
  r.events.filter((e) => e.type === type).map((e) => `${(e as { node: string }).node}:${(e as { step: string }).step}`);
export const started = (r: FakeRunResult) => stepsOf(r, 'step-start');
export const ran = (r: FakeRunResult) => stepsOf(r, 'step-done');
export const cached = (r: FakeRunResult) => stepsOf(r, 'step-cached');
export const toRun = (p: PlannedNode[]) => p.flatMap((n) => n.steps.filter((s) => s.state === 'run').map((s) => `${n.node}:${s.step}`));
export const reasonsOf = (r: FakeRunResult, target: string) =>
  (r.events.find((e) => e.type === 'step-start' && `${e.node}:${e.step}` === target) as Extract<StalkerEvent, { type: 'step-start' }> | undefined)?.reasons;
