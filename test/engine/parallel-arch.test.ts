// Independent branches overlap in time (seen in the events, not the wall clock), and an arm64
// node runs under qemu-user binfmt.
import { execFileSync } from 'node:child_process';
import { expectOk, removeTreeArtifacts, runBuild } from '../support/build-harness.js';
import { makeProject, type TestProject } from '../support/project.js';
import { tarballTree } from '../support/tarball-tree.js';

const TREE = `part${process.pid}`;
const ARM = `armt${process.pid}`;
const projects: TestProject[] = [];

afterAll(async () => {
  await removeTreeArtifacts(TREE);
  await removeTreeArtifacts(ARM);
  for (const p of projects) p.cleanup();
});

test('two independent branches run concurrently', async () => {
  const p = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: tarballTree(`
      left: { from: "base", stalk: "nap" }
      right: { from: "base", stalk: "nap", vars: { side: "right" } }`),
    'stalks/nap/nap.hjson': '{ vars: { side: "left" }, steps: [ { name: "sleep", run: "sleep 2; echo $side > /side" } ] }',
  });
  projects.push(p);
  const r = await runBuild(p, { jobs: 2, noCache: true });
  expectOk(r);
  const at = (type: string, node: string) => r.events.find((e) => e.type === type && 'node' in e && e.node === node)!.time;
  // Each branch started before the other finished.
  expect(at('step-start', 'right')).toBeLessThan(at('step-done', 'left'));
  expect(at('step-start', 'left')).toBeLessThan(at('step-done', 'right'));
}, 60_000);

test('an arm64 node runs arm64 code and its image says arm64', async () => {
  const p = makeProject(ARM, {
    [`trees/${ARM}/${ARM}.hjson`]: tarballTree('arm: { from: "base", stalk: "arch" }', { arch: 'arm64' }),
    'stalks/arch/arch.hjson': '{ steps: [ { name: "uname", run: "uname -m | tee /arch" } ] }',
  });
  projects.push(p);
  const r = await runBuild(p);
  expectOk(r);
  expect(r.events).toContainEqual(expect.objectContaining({ type: 'step-output', node: 'arm', line: 'aarch64' }));
  const arch = execFileSync('docker', ['image', 'inspect', '--format', '{{.Architecture}}', 'stalkertest/arm:final'], { encoding: 'utf8' });
  expect(arch.trim()).toBe('arm64');
}, 90_000);

// qemu-user's default aarch64 model ("max") has pointer authentication and SVE, which it emulates
// slowly and Debian 13's binaries use; stalker runs foreign arm64 steps on a Cortex-A72 instead
// (lib/run/emulated-cpu.ts). The CPU's features as the emulated process sees them: AT_HWCAP.
test('an emulated arm64 step runs on a Cortex-A72 (no PAuth, no SVE) unless STALKER_QEMU_CPU says otherwise', async () => {
  const script = [
    'echo "cpu=$QEMU_CPU"',
    `od -An -tx8 -v /proc/self/auxv | awk '{ for (i = 1; i <= NF; i++) a[n++] = $i } END { for (i = 0; i < n; i += 2) if (a[i] == "0000000000000010") print "hwcap=" a[i + 1] }'`,
  ].join('\n');
  const p = makeProject(ARM, {
    [`trees/${ARM}/${ARM}.hjson`]: tarballTree('arm: { from: "base", stalk: "cpu" }', { arch: 'arm64' }),
    'stalks/cpu/cpu.hjson': JSON.stringify({ steps: [{ name: 'hwcap', run: script }] }),
  });
  projects.push(p);
  const hwcap = async (cpu: string | undefined) => {
    const saved = process.env.STALKER_QEMU_CPU;
    if (cpu === undefined) delete process.env.STALKER_QEMU_CPU;
    else process.env.STALKER_QEMU_CPU = cpu;
    try {
      const r = await runBuild(p, { noCache: true });
      expectOk(r);
      const lines = r.events.flatMap((e) => (e.type === 'step-output' && e.node === 'arm' ? [e.line] : []));
      const value = lines.find((l) => l.startsWith('hwcap='));
      if (!value) throw new Error(`no hwcap line in ${JSON.stringify(lines)}`);
      return { cpu: lines.find((l) => l.startsWith('cpu=')), hwcap: BigInt(`0x${value.slice(6)}`) };
    } finally {
      if (saved === undefined) delete process.env.STALKER_QEMU_CPU;
      else process.env.STALKER_QEMU_CPU = saved;
    }
  };
  const PACA = 1n << 30n;
  const SVE = 1n << 22n;
  const a72 = await hwcap(undefined);
  expect(a72.cpu).toBe('cpu=cortex-a72');
  expect(a72.hwcap & (PACA | SVE)).toBe(0n);
  const max = await hwcap('max');
  expect(max.cpu).toBe('cpu=max');
  expect(max.hwcap & PACA).toBe(PACA);
  expect(max.hwcap & SVE).toBe(SVE);
}, 120_000);
