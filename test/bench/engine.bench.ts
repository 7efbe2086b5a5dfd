// Engine benchmarks, each measured side by side with its baseline in the same run:
//  1. fully cached rebuild of hello_world (wall time of the CLI, goal <= 1.5 s)
//  2. a 20-step chain of trivial steps vs a raw `docker run` + `docker commit` loop (goal <= 1.0x), and
//     the same chain with step inputs as archives and volumes (no binds) vs with binds
//  3. two independent 5 s branches vs one (goal <= 1.2x)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { busyboxRoot } from '../support/busybox-root.js';
import { makeProject } from '../support/project.js';
import { tarballTree } from '../support/tarball-tree.js';
import { bestOf, ratioLine, timeCommand } from './timing.js';

const ROOT = process.cwd();
const STALKER = join(ROOT, 'bin', 'stalker');

function docker(...args: string[]): string {
  const r = spawnSync('docker', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

function cachedHelloWorld(): string {
  const tree = join(ROOT, 'trees/hello_world/hello_world.hjson');
  if (!existsSync(tree)) return 'cached hello_world: skipped (no trees/hello_world)';
  timeCommand(STALKER, ['--config', tree]); // warm: builds whatever is missing
  const t = bestOf(3, () => timeCommand(STALKER, ['--config', tree]));
  return `cached hello_world rebuild: ${t.toFixed(2)}s wall (goal <= 1.5s) ${t <= 1.5 ? 'ok' : 'OVER GOAL'}`;
}

function chain(): string {
  const steps = Array.from({ length: 20 }, (_, i) => `{ name: "s${i}", run: "echo ${i} > /f${i}" }`).join('\n');
  const p = makeProject('benchchain', {
    'trees/benchchain/benchchain.hjson': tarballTree('chain: { from: "base", stalk: "chain" }'),
    'stalks/chain/chain.hjson': `{ steps: [\n${steps}\n] }`,
  });
  try {
    timeCommand(STALKER, ['--config', p.tree]); // imports the base once
    const root = busyboxRoot('amd64');
    const base = docker('images', '-q', 'stalkertest/base:bootstrap') || root.file;
    const raw = () => {
      const t0 = process.hrtime.bigint();
      let image = base;
      for (let i = 0; i < 20; i++) {
        docker('run', '--name', `benchraw${i}`, '--network', 'host', image, '/bin/sh', '-c', `echo ${i} > /f${i}`);
        image = docker('commit', `benchraw${i}`, `benchraw:s${i}`);
        docker('rm', `benchraw${i}`);
      }
      return Number(process.hrtime.bigint() - t0) / 1e9;
    };
    const ours = () => timeCommand(STALKER, ['--config', p.tree, '--rebuild', 'chain']);
    // Step inputs as archives and volumes, as an engine that cannot see host paths takes them.
    const archived = () => timeCommand(STALKER, ['--config', p.tree, '--rebuild', 'chain'], { env: { ...process.env, STALKER_HOST_PATHS: '0' } });
    // Alternate them so all see the same machine conditions.
    const o: number[] = [];
    const r: number[] = [];
    const a: number[] = [];
    for (let i = 0; i < 3; i++) {
      o.push(ours());
      r.push(raw());
      a.push(archived());
    }
    return [
      ratioLine('20-step chain', Math.min(...o), Math.min(...r), 'raw docker run+commit loop', 1.0),
      ratioLine('20-step chain, inputs as archives (no binds)', Math.min(...a), Math.min(...o), 'the same with binds', 2.0),
    ].join('\n');
  } finally {
    spawnSync('sh', ['-c', 'docker rmi $(docker images -q benchraw) >/dev/null 2>&1; docker rmi $(docker images -q stalkertest/chain) >/dev/null 2>&1']);
    p.cleanup();
  }
}

function branches(): string {
  const nap = '{ steps: [ { name: "nap", run: "sleep 5", cache: false } ] }';
  const two = makeProject('benchtwo', {
    'trees/benchtwo/benchtwo.hjson': tarballTree('a: { from: "base", stalk: "nap" }\nb: { from: "base", stalk: "nap" }'),
    'stalks/nap/nap.hjson': nap,
  });
  const one = makeProject('benchone', {
    'trees/benchone/benchone.hjson': tarballTree('a: { from: "base", stalk: "nap" }'),
    'stalks/nap/nap.hjson': nap,
  });
  try {
    const t1 = timeCommand(STALKER, ['--config', one.tree, '--jobs', '2']);
    const t2 = timeCommand(STALKER, ['--config', two.tree, '--jobs', '2']);
    return ratioLine('two independent 5 s branches', t2, t1, 'one branch', 1.2);
  } finally {
    two.cleanup();
    one.cleanup();
  }
}

export async function run(): Promise<void> {
  const only = process.env.BENCH_ONLY;
  for (const bench of [cachedHelloWorld, chain, branches]) if (!only || bench.name === only) console.log(bench());
}
