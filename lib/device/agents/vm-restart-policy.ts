export interface RestartPolicy {
  /** A VM counts as up (status running) once its process has lived this long; a shorter life is a failed start. */
  settleMs: number;
  /** Consecutive short-lived runs after which the agent stops relaunching. */
  maxCrashes: number;
  backoffMs: { min: number; max: number };
}

export const DEFAULT_POLICY: RestartPolicy = { settleMs: 10_000, maxCrashes: 5, backoffMs: { min: 1000, max: 30_000 } };

export type CrashDecision = { kind: 'restart'; inMs: number; streak: number } | { kind: 'give-up'; streak: number };

/**
 * What to do after a VM process ended that should be running. `streak` counts the consecutive runs
 * shorter than the settle time before this one; a run that settled starts the count afresh, so a
 * VM that crashes once after a day of uptime is relaunched after the shortest delay.
 */
export function afterCrash(p: RestartPolicy, streak: number, livedMs: number): CrashDecision {
  const now = livedMs < p.settleMs ? streak + 1 : 0;
  if (now >= p.maxCrashes) return { kind: 'give-up', streak: now };
  return { kind: 'restart', streak: now, inMs: Math.min(p.backoffMs.min * 2 ** Math.max(now - 1, 0), p.backoffMs.max) };
}
