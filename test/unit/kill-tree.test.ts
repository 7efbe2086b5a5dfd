// killTree ends a process and all its descendants, also one that left the process group (setsid),
// which a process-group kill alone misses (proot's steps: kill-tree.ts says why it matters).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { killTree } from '../../lib/util/kill-tree.js';
import { pidAlive } from '../support/pid-alive.js';

test('a tree with a setsid child and a grandchild in the group: all of it is killed', async () => {
  const pids = `/tmp/stalker-kill-tree-${process.pid}`;
  const root = spawn('sh', ['-c', `setsid sh -c 'sleep 300; :' & echo $! > ${pids}; sh -c 'sleep 300; :' & echo $! >> ${pids}; wait`], {
    detached: true,
    stdio: 'ignore',
  });
  const until = Date.now() + 5000;
  while (Date.now() < until && !(existsSync(pids) && readFileSync(pids, 'utf8').trim().split('\n').length === 2)) await new Promise((r) => setTimeout(r, 20));
  const children = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
  const exited = new Promise((resolve) => root.on('exit', resolve));
  killTree(root.pid!);
  await exited;
  const gone = Date.now() + 3000;
  while (Date.now() < gone && children.some(pidAlive)) await new Promise((r) => setTimeout(r, 50));
  expect(children.filter(pidAlive)).toEqual([]);
  rmSync(pids, { force: true });
}, 15_000);
