// What every executed step goes through, whatever its kind: its log opened, step-start with the
// reasons it runs, the timing, step-done or step-failed, the log closed and the containers it made
// removed. Step kinds only say how they turn their input into an image (or a file).
import type { KeyChange } from '../cache/key-diff.js';
import type { ContainerSpec } from '../engine/engine-port.js';
import { StalkerError, StepFailed } from '../errors.js';
import { type BuildContext, engineOf } from './build-context.js';
import { StepLog } from './step-log.js';

export interface StepScope {
  log: StepLog;
  /** A container that lives as long as the step and is removed after it. */
  container(spec: ContainerSpec): Promise<string>;
}

export interface StepIdentity {
  node: string;
  step: string;
  key: string;
}

/** Runs `body`; resolves with what it made (an image id or a written file). */
export async function stepLifecycle(ctx: BuildContext, s: StepIdentity, reasons: KeyChange[], body: (scope: StepScope) => Promise<string>): Promise<string> {
  const { node, step, key } = s;
  if (ctx.signal.aborted) throw new StalkerError('INTERRUPTED', `step ${node}:${step} interrupted`);
  const log = await StepLog.open(ctx.logs.stepInRun(node, step), ctx.logs.stepLatest(node, step));
  ctx.events.emit({ type: 'step-start', node, step, key, reasons, logPath: log.path, ...engineOf(ctx) });
  const started = Date.now();
  const containers: string[] = [];
  const scope: StepScope = {
    log,
    container: async (spec) => {
      const id = await ctx.session.create(spec);
      containers.push(id);
      return id;
    },
  };
  try {
    const image = await body(scope);
    await log.close();
    ctx.events.emit({ type: 'step-done', node, step, key, image, durationMs: Date.now() - started, ...engineOf(ctx) });
    return image;
  } catch (err) {
    const interrupted = ctx.signal.aborted || (err instanceof StalkerError && err.code === 'INTERRUPTED');
    if (interrupted)
      throw err instanceof StalkerError && err.code === 'INTERRUPTED'
        ? err
        : new StalkerError('INTERRUPTED', `step ${node}:${step} interrupted`, { cause: err });
    if (!(err instanceof StepFailed)) log.note(`stalker: ${err instanceof Error ? err.message : String(err)}`);
    const failed = err instanceof StepFailed ? { exitCode: err.exitCode, failedImage: err.failedImage } : { exitCode: -1 };
    ctx.events.emit({ type: 'step-failed', node, step, ...failed, logPath: log.path, durationMs: Date.now() - started, ...engineOf(ctx) });
    throw err;
  } finally {
    await log.close();
    for (const id of containers) ctx.session.removeLater(id);
  }
}
