// BENCH_ONLY=rootless: the 20-step chain on the userns and proot backends, as an ordinary user, vs the same
// chain on the Docker backend (as root), alternated in one run; and the same userns chain fully
// cached. Needs a running dockerd (bin/setup) and the rootless test user (made here).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeProject } from '../support/project.js';
import { chownTo, rootlessUser, stalkerAs, userDir } from '../support/rootless-user.js';
import { tarballTree } from '../support/tarball-tree.js';
import { ratioLine, timeCommand } from './timing.js';

const STALKER = join(process.cwd(), 'bin', 'stalker');

function timed(fn: () => { status: number | null; stdout: string; stderr: string }): number {
  const t0 = process.hrtime.bigint();
  const r = fn();
  if (r.status !== 0) throw new Error(`exit ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

export async function run(): Promise<void> {
  if (process.env.BENCH_ONLY && process.env.BENCH_ONLY !== 'rootless') return;
  const steps = Array.from({ length: 20 }, (_, i) => `{ name: "s${i}", run: "echo ${i} > /f${i}" }`).join('\n');
  const p = makeProject('benchrl', {
    'trees/benchrl/benchrl.hjson': tarballTree('chain: { from: "base", stalk: "chain" }', { repository: 'benchrl' }),
    'stalks/chain/chain.hjson': `{ steps: [\n${steps}\n] }`,
  });
  const user = rootlessUser();
  const work = userDir(user);
  const store = join(work, 'store');
  chownTo(user, p.root);
  const args = ['--config', p.tree, '--progress', 'plain'];
  try {
    const proot = { STALKER_ENGINE: 'proot' };
    timed(() => stalkerAs(user, store, args)); // imports the base once on each
    timed(() => stalkerAs(user, store, args, proot));
    timeCommand(STALKER, args, { env: { ...process.env, STALKER_ENGINE: 'docker' } });
    const userns = () => timed(() => stalkerAs(user, store, [...args, '--rebuild', 'chain']));
    const docker = () => timeCommand(STALKER, [...args, '--rebuild', 'chain'], { env: { ...process.env, STALKER_ENGINE: 'docker' } });
    const onProot = () => timed(() => stalkerAs(user, store, [...args, '--rebuild', 'chain'], proot));
    const u: number[] = [];
    const d: number[] = [];
    const pr: number[] = [];
    for (let i = 0; i < 3; i++) {
      u.push(userns());
      d.push(docker());
      pr.push(onProot());
    }
    const cached = Math.min(...[0, 1, 2].map(() => timed(() => stalkerAs(user, store, args))));
    console.log(
      [
        ratioLine('20-step chain on userns (rootless, as a user)', Math.min(...u), Math.min(...d), 'the Docker backend', 1.2),
        ratioLine('20-step chain on proot (as a user)', Math.min(...pr), Math.min(...d), 'the Docker backend', 2.0),
        `20-step chain on userns, all cached: ${cached.toFixed(2)}s wall`,
      ].join('\n'),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
    p.cleanup();
  }
}
