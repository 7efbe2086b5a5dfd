// Shared-cache benchmarks (BENCH_ONLY=registry runs only these), each against its baseline in the
// same run, with Debian's docker-registry on 127.0.0.1 and trees/raspi's step images, which the
// main engine already holds (build trees/raspi first):
//  1. the registry is warmed by pushing those images (I/O only: nothing is built or emulated);
//  2. the cache check of the whole raspi tree (one manifest HEAD per step) on the warm registry:
//     wall time of the HEAD round (goal <= 0.5 s);
//  3. "second machine": a fresh second dockerd builds trees/raspi (its writer node left out: a
//     disk image is a file on the host, not a registry image) with the registry warm: zero steps
//     run, wall time vs a raw `docker pull` of the same images, one after another, on the same
//     emptied engine (goal <= 1.5x). Alternated, best of two each.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Hjson from 'hjson';
import { ImageIndex } from '../../lib/cache/image-index.js';
import { parseRegistry } from '../../lib/cache/registry-address.js';
import { RemoteCache } from '../../lib/cache/remote-cache.js';
import { loadTree } from '../../lib/config/load-tree.js';
import { openEngine } from '../../lib/engine/open-engine.js';
import { sharableKeys } from '../../lib/plan/shared-keys.js';
import { treeKeys } from '../../lib/plan/tree-keys.js';
import { startRegistry } from '../support/registry-server.js';
import { startDockerd } from '../support/second-dockerd.js';
import { ratioLine } from './timing.js';

const ROOT = process.cwd();
const STALKER = join(ROOT, 'bin', 'stalker');
const NAME = 'raspisecond';

function docker(host: string | undefined, ...args: string[]): string {
  const r = spawnSync('docker', args, { encoding: 'utf8', env: host ? { ...process.env, DOCKER_HOST: host } : process.env });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** trees/raspi without its writer node, in a throwaway project sharing this one's stalks and files. */
function secondTree(project: string): string {
  for (const d of ['stalks', 'plugins', 'sysroot', 'dist', 'lib']) symlinkSync(join(ROOT, d), join(project, d));
  const tree = Hjson.parse(readFileSync(join(ROOT, 'trees/raspi/raspi.hjson'), 'utf8')) as {
    repository: string;
    stalks: Record<string, Record<string, unknown>>;
  };
  tree.repository = NAME;
  for (const [name, node] of Object.entries(tree.stalks)) if (node.writer) delete tree.stalks[name];
  mkdirSync(join(project, 'trees', NAME), { recursive: true });
  const file = join(project, 'trees', NAME, `${NAME}.hjson`);
  writeFileSync(file, JSON.stringify(tree, null, 2));
  return file;
}

const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

export async function run(): Promise<void> {
  if (process.env.BENCH_ONLY && process.env.BENCH_ONLY !== 'registry') return console.log('registry: not selected (BENCH_ONLY)');
  const work = mkdtempSync(join(tmpdir(), 'registry-bench-'));
  const project = join(work, 'project');
  mkdirSync(project);
  const treeFile = secondTree(project);
  const engine = openEngine();
  const tree = await loadTree(treeFile, { root: project });
  const keys = sharableKeys(treeKeys(tree, engine.executor), new Map());
  const index = await ImageIndex.load(engine);
  const missing = keys.filter((k) => !index.lookup(k));
  if (missing.length) {
    rmSync(work, { recursive: true, force: true });
    return console.log(`registry: the main engine lacks ${missing.length} of trees/raspi's ${keys.length} step images; build trees/raspi first`);
  }
  const registry = await startRegistry();
  const ref = `${registry.host}/bench/steps`;
  const reg = parseRegistry(ref, 'bench');
  const fail = (m: string) => {
    throw new Error(m);
  };
  try {
    // 1. Warm the registry from the main engine's images.
    let t0 = process.hrtime.bigint();
    const pusher = new RemoteCache(engine, { to: reg, warn: fail });
    await pusher.classify(keys);
    for (const k of keys) pusher.pushLater(k, index.lookup(k)!.id);
    await pusher.settle();
    console.log(`registry: warmed with trees/raspi's ${keys.length} step images in ${seconds(t0).toFixed(1)}s (docker push to 127.0.0.1)`);

    // 2. The HEAD round of the whole tree.
    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      const cache = new RemoteCache(engine, { from: reg, warn: fail });
      t0 = process.hrtime.bigint();
      await cache.classify(keys);
      best = Math.min(best, seconds(t0));
      if (keys.some((k) => !cache.lookup(k))) throw new Error('warm registry lacks a key');
    }
    console.log(`raspi cache check: ${keys.length} manifest HEADs in ${best.toFixed(3)}s (goal <= 0.5s) ${best <= 0.5 ? 'ok' : 'OVER GOAL'}`);

    // 3. A second machine: an empty engine, the registry warm.
    const b = await startDockerd('benchb');
    try {
      const wipe = () => {
        const ids = docker(b.host, 'images', '-aq');
        if (ids) docker(b.host, 'rmi', '-f', ...new Set(ids.split('\n')));
      };
      const ours = () => {
        wipe();
        t0 = process.hrtime.bigint();
        const r = spawnSync(STALKER, ['--config', treeFile, '--cache-from', ref, '--progress', 'json'], {
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
          env: { ...process.env, DOCKER_HOST: b.host, STALKER_CACHE_DIR: join(work, 'caches') },
        });
        const s = seconds(t0);
        if (r.status !== 0) throw new Error(`stalker on the second engine exited ${r.status}: ${r.stderr}`);
        const done = r.stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { type: string; ran?: number; pulled?: number })
          .find((e) => e.type === 'run-done');
        if (done?.ran !== 0 || done.pulled !== keys.length)
          throw new Error(`second machine: ${done?.ran} steps ran, ${done?.pulled} pulled (want 0, ${keys.length})`);
        return s;
      };
      const raw = () => {
        wipe();
        t0 = process.hrtime.bigint();
        for (const k of keys) docker(b.host, 'pull', '-q', `${ref}:${k}`);
        return seconds(t0);
      };
      const o: number[] = [];
      const r: number[] = [];
      for (let i = 0; i < 2; i++) {
        o.push(ours());
        r.push(raw());
      }
      console.log(`second machine runs: stalker ${o.map((x) => x.toFixed(1)).join(', ')}s; docker pull ${r.map((x) => x.toFixed(1)).join(', ')}s`);
      console.log(
        ratioLine(
          `second machine: trees/raspi, ${keys.length} step images, zero steps run`,
          Math.min(...o),
          Math.min(...r),
          'raw docker pull of the same images',
          1.5,
        ),
      );
    } finally {
      await b.cleanup();
    }
  } finally {
    await registry.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}
