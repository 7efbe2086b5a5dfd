// Where logs live: a stable path per step (the latest run's output) and a per-run history.
//   logs/<tree>/<node>/<step>.log            latest
//   logs/<tree>/runs/<run>/<node>/<step>.log this run
//   logs/<tree>/runs/<run>/events.jsonl      this run's structured events
//   logs/<tree>/latest -> runs/<run>
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

export class LogPaths {
  constructor(
    readonly logsDir: string,
    readonly tree: string,
    readonly run: string,
  ) {}

  get treeDir(): string {
    return join(this.logsDir, this.tree);
  }
  get runDir(): string {
    return join(this.treeDir, 'runs', this.run);
  }
  get events(): string {
    return join(this.runDir, 'events.jsonl');
  }
  get latestLink(): string {
    return join(this.treeDir, 'latest');
  }

  stepInRun(node: string, step: string): string {
    return join(this.runDir, node, `${step}.log`);
  }
  stepLatest(node: string, step: string): string {
    return join(this.treeDir, node, `${step}.log`);
  }
}
