// The leaf edit of trees/raspi, writer included (issue 13's goal: <= 10 s): `--rebuild agents`
// reruns agents and cleanup and writes raspi.img. The writer reads the image from the engine's
// layer directories; the baseline, alternated with it in the same run, is the same rebuild with
// STALKER_HOST_PATHS=0, under which a local daemon is treated as remote: the writer exports a
// container (as it did for every write before) and step inputs go in as archives. Then the writer
// alone (`--rebuild image`) both ways on the same input, whose two images must be the same bytes.
// Runs in a throwaway project that shares the repository's stalks and the engine's raspi images
// (trees/raspi is built first if the engine has none: minutes). BENCH_ONLY=leaf selects it.
import { mkdtempSync, readFileSync, rmSync, symlinkSync, mkdirSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, ratioLine, timeCommand } from './timing.js';

const ROOT = process.cwd();
const STALKER = join(ROOT, 'bin', 'stalker');
const RUNS = 3;

export async function run(): Promise<void> {
  if (process.env.BENCH_ONLY && process.env.BENCH_ONLY !== 'leaf') return console.log('leaf: not selected (BENCH_ONLY)');
  const work = mkdtempSync(join(tmpdir(), 'leaf-bench-'));
  try {
    for (const d of ['stalks', 'plugins', 'sysroot', 'dist', 'lib']) symlinkSync(join(ROOT, d), join(work, d));
    mkdirSync(join(work, 'trees'));
    cpSync(join(ROOT, 'trees/raspi'), join(work, 'trees/raspi'), { recursive: true });
    const tree = join(work, 'trees/raspi/raspi.hjson');
    const image = join(work, 'out/raspi.img');
    const stalker = (exported: boolean, ...args: string[]) =>
      timeCommand(STALKER, ['--config', tree, ...args], { env: { ...process.env, ...(exported ? { STALKER_HOST_PATHS: '0' } : {}) } });
    const phases = () =>
      readFileSync(join(work, 'logs/raspi/image/write.log'), 'utf8')
        .match(/^\w[\w-]*: \d+ ms$/gm)
        ?.join(', ') ?? '';
    const warm = stalker(false);
    console.log(`leaf: trees/raspi up to date in ${warm.toFixed(1)} s (${warm > 60 ? 'built' : 'cached'}; the image written once)`);

    const leaf: number[] = [];
    const leafExported: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      leaf.push(stalker(false, '--rebuild', 'agents'));
      leafExported.push(stalker(true, '--rebuild', 'agents'));
    }
    const ours = median(leaf);
    console.log(ratioLine('raspi leaf edit (--rebuild agents, writer included)', ours, median(leafExported), 'writer exporting (STALKER_HOST_PATHS=0)', 1.0));
    console.log(
      `raspi leaf edit: ${ours.toFixed(2)} s, median of ${RUNS} (goal <= 10 s) ${ours <= 10 ? 'ok' : 'OVER GOAL'}; runs ${leaf.map((t) => t.toFixed(1)).join(' ')}`,
    );

    const writes: number[] = [];
    const exports: number[] = [];
    let layerPhases = '';
    let exportPhases = '';
    for (let i = 0; i < RUNS; i++) {
      writes.push(stalker(false, '--rebuild', 'image'));
      layerPhases = phases();
      const fromLayers = readFileSync(`${image}.sha256`, 'utf8');
      exports.push(stalker(true, '--rebuild', 'image'));
      exportPhases = phases();
      if (readFileSync(`${image}.sha256`, 'utf8') !== fromLayers) throw new Error(`leaf: the image from the layers and from an export differ (run ${i + 1})`);
    }
    console.log(ratioLine('raspi writer alone (--rebuild image), from the layers', median(writes), median(exports), 'from an export', 1.0));
    console.log(`raspi writer: the same bytes both ways in ${RUNS} of ${RUNS} runs; phases from the layers: ${layerPhases}; from an export: ${exportPhases}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
