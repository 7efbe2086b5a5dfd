// Every observable thing a build does is one of these events. The console view, the JSON event
// log and the tests all listen to the same emitter.
import { EventEmitter } from 'eventemitter3';
import type { KeyChange } from '../cache/key-diff.js';

interface Base {
  time: number;
} // ms since epoch

/** Where a cache hit came from: the engine had it, or it was pulled from the shared cache. */
export type CacheSource = 'local' | 'registry';

/** The DAG as the run saw it, so the event log alone can redraw it (reports, `stalker events`). */
export interface RunGraphNode {
  node: string;
  from?: string;
  needs: string[];
  steps: string[];
  platform: string;
}

export type StalkerEvent = Base &
  (
    | { type: 'run-start'; run: string; tree: string; nodes: string[]; jobs: number; graph?: RunGraphNode[] }
    | { type: 'sweep'; containers: number }
    // `engine` (with a site file): the site's engine that runs the node, and whether it runs the
    // node's platform natively or emulated (routing); absent without a site file (one engine).
    | { type: 'node-start'; node: string; engine?: string; route?: 'native' | 'emulated' }
    | { type: 'step-start'; node: string; step: string; key: string; reasons: KeyChange[]; logPath: string; engine?: string }
    | { type: 'step-output'; node: string; step: string; stream: 'stdout' | 'stderr'; line: string }
    // pulledFrom: the registry reference the image came from (this run's pull, or one before it), from its labels.
    | { type: 'step-cached'; node: string; step: string; key: string; image: string; source?: CacheSource; pulledFrom?: string; engine?: string }
    | { type: 'step-done'; node: string; step: string; key: string; image: string; durationMs: number; engine?: string }
    | { type: 'step-failed'; node: string; step: string; exitCode: number; logPath: string; failedImage?: string; durationMs: number; engine?: string }
    // A node's final image copied to the engine of a node that starts from it or copies out of it.
    | { type: 'image-moved'; node: string; key: string; from: string; to: string; via: 'registry' | 'stream'; durationMs: number }
    | { type: 'node-done'; node: string; image: string; cached: boolean; durationMs: number }
    | { type: 'node-failed'; node: string; message: string; durationMs: number }
    | { type: 'node-skipped'; node: string; reason: 'upstream-failed' | 'stopped'; upstream?: string }
    | { type: 'interrupted'; signal: string }
    // The shared cache (registry): it stopped being used this run, or a step image was pushed to it.
    | { type: 'cache-warning'; message: string }
    | { type: 'cache-push'; key: string; ok: boolean; detail: string }
    | { type: 'run-done'; ok: boolean; durationMs: number; ran: number; cached: number; failed: number; skipped: number; pulled?: number }
  );

export type EventType = StalkerEvent['type'];
export type EventOf<T extends EventType> = Extract<StalkerEvent, { type: T }>;

/** Distributes without `time`: emit() stamps it, so every listener sees the same clock. */
type Distribute<U> = U extends unknown ? Omit<U, 'time'> : never;
export type EventInput = Distribute<StalkerEvent>;

export class BuildEvents {
  private readonly emitter = new EventEmitter<{ event: [StalkerEvent] }>();

  on(listener: (e: StalkerEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  emit(e: EventInput): void {
    this.emitter.emit('event', { ...e, time: Date.now() } as StalkerEvent);
  }
}
