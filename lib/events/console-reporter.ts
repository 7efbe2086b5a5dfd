// Plain, line-per-event console output. One exhaustive switch: a new event type does not compile
// until this reporter says how to show it.
import { describeChange } from '../cache/key-diff.js';
import type { BuildEvents, StalkerEvent } from './events.js';

const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export function formatEvent(e: StalkerEvent, verbose: boolean): string | undefined {
  switch (e.type) {
    case 'run-start':
      return `run ${e.run}: tree ${e.tree}, ${e.nodes.length} nodes, ${e.jobs} jobs`;
    case 'sweep':
      return `removed ${e.containers} container(s) left by an interrupted run`;
    case 'node-start':
      return e.engine ? `${e.node} on engine ${e.engine}${e.route === 'emulated' ? ' (emulated)' : ''}` : undefined;
    case 'image-moved':
      return `  ${e.node}'s image ${e.from} -> ${e.to} (${e.via === 'registry' ? 'through the registry' : 'streamed'}) in ${secs(e.durationMs)}`;
    case 'step-start': {
      const why = e.reasons.map(describeChange).join(', ');
      return `  ${e.node}:${e.step} running${e.engine ? ` on ${e.engine}` : ''}${why ? ` (${why})` : ''}`;
    }
    case 'step-output':
      return verbose ? `  ${e.node}:${e.step} | ${e.line}` : undefined;
    case 'step-cached':
      return verbose || e.source === 'registry' ? `  ${e.node}:${e.step} cached${e.source === 'registry' ? ' (pulled from registry)' : ''}` : undefined;
    case 'step-done':
      return `  ${e.node}:${e.step} done in ${secs(e.durationMs)}`;
    case 'step-failed':
      return `  ${e.node}:${e.step}${e.engine ? ` on ${e.engine}` : ''} FAILED (exit ${e.exitCode}) log: ${e.logPath}`;
    case 'node-done':
      return `${e.node} ${e.cached ? 'cached' : 'built'} ${e.image.slice(7, 19)}${e.cached ? '' : ` in ${secs(e.durationMs)}`}`;
    case 'node-failed':
      return `${e.node} FAILED: ${e.message.split('\n')[0]}`;
    case 'node-skipped':
      return `${e.node} skipped (${e.reason === 'stopped' ? 'build stopped' : `upstream ${e.upstream} failed`})`;
    case 'cache-warning':
      return `warning: ${e.message}`;
    case 'cache-push':
      return verbose || !e.ok ? `  push ${e.key.slice(0, 12)} ${e.ok ? 'done' : 'failed'}: ${e.detail}` : undefined;
    case 'interrupted':
      return `interrupted by ${e.signal}: stopping containers`;
    case 'run-done':
      return `${e.ok ? 'done' : 'FAILED'} in ${secs(e.durationMs)}: ${e.ran} ran, ${e.cached} cached${e.pulled ? ` (${e.pulled} from registry)` : ''}, ${e.failed} failed, ${e.skipped} skipped`;
    default: {
      const never: never = e;
      return never;
    }
  }
}

export function attachConsole(events: BuildEvents, out: NodeJS.WritableStream, verbose = false): () => void {
  return events.on((e) => {
    const line = formatEvent(e, verbose);
    if (line !== undefined) out.write(`${line}\n`);
  });
}
