// The host processes a run leads right now (a host tool run with an abort signal, a rootless
// step), each with the way to end it at once. They lead process groups of their own, so our
// terminal's Ctrl-C never reaches them: the orderly interrupt ends them through the abort signal
// or the engine's remove; a second Ctrl-C, which exits without waiting for that, ends them here.
// (Docker's containers are the daemon's: what a forced exit leaves, the next run sweeps by label.)

const owned = new Map<number, () => void>();

/** Records `pid` until the returned function is called; `end` must not throw and not wait. */
export function own(pid: number | undefined, end: () => void): () => void {
  if (!pid) return () => {};
  owned.set(pid, end);
  return () => {
    if (owned.get(pid) === end) owned.delete(pid);
  };
}

/** Ends every owned process now (synchronously: the caller is about to exit). */
export function endOwned(): void {
  for (const end of owned.values()) end();
  owned.clear();
}
