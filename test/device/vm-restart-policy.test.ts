// The VM agent's restart decisions and statuses, without a VM: lifetimes are given, not waited for.
import { afterCrash, DEFAULT_POLICY } from '../../lib/device/agents/vm-restart-policy.js';
import { renderVmStatus } from '../../lib/device/agents/vm-status.js';

it('short-lived runs back off 1 s, 2 s, 4 s, 8 s and are given up on at the 5th; the delay is capped at 30 s', () => {
  const decisions = [];
  let streak = 0;
  for (let i = 0; i < 5; i++) {
    const d = afterCrash(DEFAULT_POLICY, streak, 2000);
    decisions.push(d);
    streak = d.streak;
  }
  expect(decisions).toEqual([
    { kind: 'restart', streak: 1, inMs: 1000 },
    { kind: 'restart', streak: 2, inMs: 2000 },
    { kind: 'restart', streak: 3, inMs: 4000 },
    { kind: 'restart', streak: 4, inMs: 8000 },
    { kind: 'give-up', streak: 5 },
  ]);
  expect(afterCrash({ ...DEFAULT_POLICY, maxCrashes: 99 }, 10, 0)).toEqual({ kind: 'restart', streak: 11, inMs: 30_000 });
});

it('a run that outlived the settle time starts the count afresh: the shortest delay, never a give-up', () => {
  expect(afterCrash(DEFAULT_POLICY, 4, DEFAULT_POLICY.settleMs)).toEqual({ kind: 'restart', streak: 0, inMs: 1000 });
});

it('statuses carry the reason and what happens next', () => {
  expect(renderVmStatus({ kind: 'crashed', reason: 'killed by SIGKILL', restart: 3, inMs: 4000 })).toBe('crashed: killed by SIGKILL (restart 3 in 4 s)');
  expect(renderVmStatus({ kind: 'crashed', reason: 'x', restart: 1, inMs: 1500 })).toBe('crashed: x (restart 1 in 1.5 s)');
  expect(renderVmStatus({ kind: 'failed', reason: 'x', crashes: 5 })).toBe('failed: x (gave up after 5 crashes)');
  expect(renderVmStatus({ kind: 'error', reason: 'disk /d: no such file' })).toBe('error: disk /d: no such file');
  expect(renderVmStatus({ kind: 'starting' })).toBe('starting');
});
