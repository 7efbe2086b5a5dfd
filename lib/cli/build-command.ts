// `stalker --config <tree>`: build the tree; rerunning after a failure resumes from the cache.
import { availableParallelism } from 'node:os';
import { BuildEvents } from '../events/events.js';
import { attachReporter, parseProgress } from '../events/reporter.js';
import { StalkerError } from '../errors.js';
import { build } from '../run/build.js';
import { endOwned } from '../util/owned-processes.js';
import { type CacheFlags, openSite } from './cache-flags.js';
import { openProject } from './project.js';

export interface BuildFlags extends CacheFlags {
  config?: string;
  jobs?: string;
  'keep-going'?: boolean;
  'no-cache'?: boolean;
  rebuild?: string[];
  verbose?: boolean;
  progress?: string;
}

export async function buildCommand(flags: BuildFlags): Promise<number> {
  const mode = parseProgress(flags.progress);
  const project = await openProject(flags.config);
  const site = openSite(flags);
  const events = new BuildEvents();
  const detach = attachReporter(events, mode, process.stdout, !!flags.verbose);
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (abort.signal.aborted) {
      // a second Ctrl-C does not wait for cleanup; host processes are ended still (containers
      // left are the next run's sweep)
      endOwned();
      process.stderr.write(`\nstalker: ${signal} again: exiting without cleanup\n`);
      process.exit(130);
    }
    abort.abort(signal);
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  const summary = await build({
    tree: project.tree,
    engine: site.engine,
    ...(site.site ? { site: site.site } : {}),
    events,
    jobs: flags.jobs ? Number(flags.jobs) : Math.min(4, availableParallelism()),
    keepGoing: !!flags['keep-going'],
    noCache: !!flags['no-cache'],
    rebuild: flags.rebuild ?? [],
    logsDir: project.logsDir,
    cacheDir: project.cacheDir,
    signal: abort.signal,
    cache: site.cache,
  });
  process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  detach();
  // Steps stopped by the interrupt are one line together (the progress view named them); a
  // failure that came before it is still told.
  const interrupted = (e: unknown) => e instanceof StalkerError && e.code === 'INTERRUPTED';
  for (const err of summary.errors.filter((e) => !interrupted(e))) process.stderr.write(`\n${err instanceof Error ? err.message : String(err)}\n`);
  if (abort.signal.aborted) {
    process.stderr.write(`stalker: interrupted by ${String(abort.signal.reason)}; a rerun resumes from the cache\n`);
    return abort.signal.reason === 'SIGTERM' ? 143 : 130;
  }
  return summary.ok ? 0 : 1;
}
