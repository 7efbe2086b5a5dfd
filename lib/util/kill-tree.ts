// Ends a process and everything descended from it, also what left its process group (setsid: a
// daemon a step starts). Under proot that matters: proot is only a tracer, so its tracees are not
// in a namespace that dies with it, and a tracee that outlives proot runs on, no longer confined
// to its root. Parent links are the only trace of such a process, and they break once its parent
// dies (it is reparented to init), so the whole tree is stopped first (a stopped process cannot
// fork), gathered until no new member appears, and only then killed.
import { readdirSync, readFileSync } from 'node:fs';

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined; // gone
  }
}

/** `root` and every process descended from it, by the parent links /proc has now. */
export function processTree(root: number): Set<number> {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const parent = parentOf(pid);
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  const tree = new Set<number>([root]);
  for (const pid of tree) for (const c of children.get(pid) ?? []) tree.add(c);
  return tree;
}

/** `sig` to `pid` (a negative pid: its process group); one already gone is not an error. */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

/** A signal (SIGKILL unless named) to a whole process group. */
export function killGroup(pgid: number, sig: NodeJS.Signals = 'SIGKILL'): void {
  signal(-pgid, sig);
}

/** SIGKILL to `root`, its process group and all its descendants. Synchronous: safe on exit. */
export function killTree(root: number): void {
  const seen = new Set<number>();
  for (let round = 0; round < 20; round++) {
    const fresh = [...processTree(root)].filter((p) => !seen.has(p));
    if (!fresh.length) break;
    for (const pid of fresh) {
      seen.add(pid);
      signal(pid, 'SIGSTOP');
    }
  }
  killGroup(root);
  for (const pid of seen) signal(pid, 'SIGKILL');
}
