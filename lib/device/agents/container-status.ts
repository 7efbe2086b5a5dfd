import { renderVmStatus, type VmStatus } from './vm-status.js';

/** VmStatus plus an end the restart column accepts (restart no, or on-failure after a clean exit). */
export type ContainerStatus = VmStatus | { kind: 'exited'; reason: string; restart: string };

export function renderContainerStatus(s: ContainerStatus): string {
  return s.kind === 'exited' ? `exited: ${s.reason} (restart ${s.restart})` : renderVmStatus(s);
}
