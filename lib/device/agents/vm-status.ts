/**
 * What `VirtualMachine.status` says. `starting` and `running` differ only by time: a VM is `running`
 * once its process has stayed up for the settle time, so `apply --wait` does not report a VM that
 * dies a few seconds after launch as running. `error`, `crashed` and `failed` carry the reason.
 */
export type VmStatus =
  | { kind: 'stopped' }
  | { kind: 'starting' }
  | { kind: 'running' }
  /** Not launched: a refused value or a kernel/disk that cannot be opened (rechecked every pass). */
  | { kind: 'error'; reason: string }
  /** Exited while it should run; relaunched after the delay. */
  | { kind: 'crashed'; reason: string; restart: number; inMs: number }
  /** Too many short-lived runs in a row: not relaunched until the row changes or goes stop -> run. */
  | { kind: 'failed'; reason: string; crashes: number };

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;

export function renderVmStatus(s: VmStatus): string {
  switch (s.kind) {
    case 'stopped':
    case 'starting':
    case 'running':
      return s.kind;
    case 'error':
      return `error: ${s.reason}`;
    case 'crashed':
      return `crashed: ${s.reason} (restart ${s.restart} in ${seconds(s.inMs)})`;
    case 'failed':
      return `failed: ${s.reason} (gave up after ${s.crashes} crash${s.crashes === 1 ? '' : 'es'})`;
  }
}
