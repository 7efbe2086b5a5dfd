// Shared-cache benchmarks (BENCH_ONLY=registry runs only these), each against its baseline in the
// same run, with Debian's docker-registry on 127.0.0.1:
//  1. the cache check of a whole 31-step tree (one manifest HEAD per step) on a warm registry:
//     wall time of the HEAD round (goal <= 0.5 s), and `stalker plan --cache-from` end to end
//  2. "second machine": a second dockerd builds the tree with every step in the registry (zero
//     steps run) vs a raw `docker pull` of the same images on the same, emptied, engine
//     (goal <= 1.5x)
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseRegistry } from '../../lib/cache/registry-address.js';
import { RemoteCache } from '../../lib/cache/remote-cache.js';
import { loadTree } from '../../lib/config/load-tree.js';
import { openEngine } from '../../lib/engine/open-engine.js';
import { forcedNodes } from '../../lib/plan/probe.js';
import { sharableKeys } from '../../lib/plan/shared-keys.js';
import { treeKeys } from '../../lib/plan/tree-keys.js';
import { makeProject } from '../support/project.js';
import { startRegistry } from '../support/registry-server.js';
import { startDockerd } from '../support/second-dockerd.js';
import { tarballTree } from '../support/tarball-tree.js';
import { bestOf, ratioLine, timeCommand } from './timing.js';

const STALKER = join(process.cwd(), 'bin', 'stalker');
const STEPS = 30; // raspi's order of size: ~30 steps

function docker(host: string | undefined, ...args: string[]): string {
  const r = spawnSync('docker', args, { encoding: 'utf8', env: host ? { ...process.env, DOCKER_HOST: host } : process.env });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

export async function run(): Promise<void> {
  if (process.env.BENCH_ONLY && process.env.BENCH_ONLY !== 'registry') return console.log('registry: not selected (BENCH_ONLY)');
  const steps = Array.from({ length: STEPS }, (_, i) => `{ name: "s${i}", run: "echo ${i} > /f${i}" }`).join('\n');
  const project = makeProject('benchreg', {
    'trees/benchreg/benchreg.hjson': tarballTree('chain: { from: "base", stalk: "chain" }', { repository: 'benchreg' }),
    'stalks/chain/chain.hjson': `{ steps: [\n${steps}\n] }`,
  });
  const registry = await startRegistry();
  const ref = `${registry.host}/bench/steps`;
  const engine = openEngine();
  try {
    // Warm the registry: build once on the main engine, pushing every step image.
    timeCommand(STALKER, ['--config', project.tree, '--cache-to', ref, '--progress', 'plain']);
    const tree = await loadTree(project.tree, { root: project.root });
    const keys = sharableKeys(treeKeys(tree, engine.executor), forcedNodes(tree, {}));
    const reg = parseRegistry(ref, 'bench');
    const round = async () => {
      const cache = new RemoteCache(engine, {
        from: reg,
        warn: (m) => {
          throw new Error(m);
        },
      });
      const t0 = process.hrtime.bigint();
      await cache.classify(keys);
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      if (keys.some((k) => !cache.lookup(k))) throw new Error('warm registry lacks a key');
      return s;
    };
    let best = Infinity;
    for (let i = 0; i < 5; i++) best = Math.min(best, await round());
    console.log(`registry cache check: ${keys.length} manifest HEADs in ${best.toFixed(3)}s (goal <= 0.5s) ${best <= 0.5 ? 'ok' : 'OVER GOAL'}`);
    const planned = bestOf(3, () => timeCommand(STALKER, ['plan', '--config', project.tree, '--cache-from', ref]));
    console.log(`stalker plan --cache-from (CLI start, engine index, HEAD round): ${planned.toFixed(2)}s wall`);

    // A second machine: an empty engine, the registry warm.
    const b = await startDockerd('benchb');
    try {
      const wipe = () => {
        const ids = docker(b.host, 'images', '-aq');
        if (ids) docker(b.host, 'rmi', '-f', ...new Set(ids.split('\n')));
      };
      const ours = () => {
        wipe();
        return timeCommand(STALKER, ['--config', project.tree, '--cache-from', ref, '--progress', 'plain'], { env: { ...process.env, DOCKER_HOST: b.host } });
      };
      const raw = () => {
        wipe();
        const t0 = process.hrtime.bigint();
        for (const k of keys) docker(b.host, 'pull', '-q', `${ref}:${k}`);
        return Number(process.hrtime.bigint() - t0) / 1e9;
      };
      const o: number[] = [];
      const r: number[] = [];
      for (let i = 0; i < 3; i++) {
        o.push(ours());
        r.push(raw());
      }
      console.log(
        ratioLine(`second machine (${keys.length} images, zero steps run)`, Math.min(...o), Math.min(...r), 'raw docker pull of the same images', 1.5),
      );
    } finally {
      await b.cleanup();
    }
  } finally {
    await registry.cleanup();
    project.cleanup();
    spawnSync('sh', ['-c', 'docker images -q "benchreg/*" | sort -u | xargs -r docker rmi -f'], { stdio: 'ignore' });
  }
}
