// Startup: `stalker --help` against `node -e 0`, side by side (goal <= 2.5x). Each command loads
// its modules only when it runs, so help and usage errors should cost little more than Node itself.
// Runs are interleaved so both meet the same machine load; the median of each is compared.
// BENCH_ONLY=startup runs only this one.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ratioLine } from './timing.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const RUNS = 21;

function wall(cmd: string, args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run(): Promise<void> {
  if (process.env.BENCH_ONLY && process.env.BENCH_ONLY !== 'startup') return console.log('startup: not selected (BENCH_ONLY)');
  const main = join(root, 'dist/lib/cli/main.js');
  const ours: number[] = [];
  const wrapper: number[] = [];
  const node: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    node.push(wall(process.execPath, ['-e', '0']));
    ours.push(wall(process.execPath, [main, '--help']));
    wrapper.push(wall(join(root, 'bin/stalker'), ['--help']));
  }
  console.log(ratioLine(`startup, --help (median of ${RUNS})`, median(ours), median(node), 'node -e 0', 2.5));
  console.log(
    `startup, bin/stalker --help (the wrapper checks dist/ is fresh first): ${median(wrapper).toFixed(3)}s = ${(median(wrapper) / median(node)).toFixed(2)}x node -e 0`,
  );
}
