// trees/raspi (Debian 13 trixie, the default) and its bookworm variant, planned against the real
// engine without building: both load, differ in the suite and not in the chain, and `stalker plan`
// of the variant runs. A board var changes the boot node and what follows, never the slow nodes
// before it (their steps, hence their keys, stay the same).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTree } from '../../lib/config/load-tree.js';
import type { ResolvedTree } from '../../lib/config/types.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TRIXIE = join(ROOT, 'trees/raspi/raspi.hjson');
const BOOKWORM = join(ROOT, 'trees/raspi-bookworm/raspi-bookworm.hjson');
const suite = (t: ResolvedTree) => {
  const b = t.nodes.get('base')!.bootstrap!;
  return b.kind === 'debootstrap' ? b.suite : undefined;
};
const chain = (t: ResolvedTree) =>
  [...t.nodes.values()].map((n) => `${n.name}<${n.from ?? ''}:${n.stalk?.name ?? 'writer'}:${n.steps.map((s) => s.name).join(',')}`);
const stepsOf = (t: ResolvedTree, node: string) => JSON.stringify(t.nodes.get(node)!.steps.map((s) => ({ ...s, origin: undefined })));

test('trixie is the default, bookworm a variant with the same chain', async () => {
  const trixie = await loadTree(TRIXIE, { root: ROOT });
  const bookworm = await loadTree(BOOKWORM, { root: ROOT });
  expect(suite(trixie)).toBe('trixie');
  expect(suite(bookworm)).toBe('bookworm');
  expect(chain(bookworm)).toEqual(chain(trixie));
  expect(trixie.nodes.get('boot')!.vars.board).toBe('pi-multi');
  // the image carries the tree's clock, as every step does
  expect(trixie.nodes.get('image')!.writer!.options.sourceDateEpoch).toBe(trixie.nodes.get('kernel')!.vars.source_date_epoch);
});

test('stalker plan of the bookworm variant: every node and step, nothing invalid', () => {
  const r = spawnSync(join(ROOT, 'bin/stalker'), ['plan', '--config', BOOKWORM, '--json'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`stalker plan exited ${r.status}: ${r.stderr}`);
  const plan = JSON.parse(r.stdout) as { node: string; steps: { step: string; state: string }[] }[];
  expect(plan.map((n) => n.node)).toEqual(['base', 'kernel', 'os', 'runtime', 'system', 'boot', 'watchdog', 'ro', 'rootssh', 'agents', 'cleanup', 'image']);
  for (const n of plan) for (const s of n.steps) expect(['cached', 'run', 'blocked']).toContain(s.state);
  expect(plan[0]!.steps[0]).toMatchObject({ step: 'bootstrap' });
  expect(plan[0]!.steps[0]!.state).not.toBe('blocked');
}, 150_000);

test('board: pi4 changes the boot node, not base, kernel, os, runtime or system', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'raspi-board-'));
  try {
    const tree = join(dir, 'trees/raspi/raspi.hjson');
    spawnSync('mkdir', ['-p', dirname(tree)]);
    writeFileSync(tree, readFileSync(TRIXIE, 'utf8').replace(/^    board: pi-multi$/m, '    board: pi4'));
    const pi4 = await loadTree(tree, { root: ROOT });
    const multi = await loadTree(TRIXIE, { root: ROOT });
    expect(pi4.nodes.get('boot')!.vars.board).toBe('pi4');
    for (const n of ['base', 'kernel', 'os', 'runtime', 'system']) expect(stepsOf(pi4, n)).toBe(stepsOf(multi, n));
    expect(stepsOf(pi4, 'boot')).not.toBe(stepsOf(multi, 'boot'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
