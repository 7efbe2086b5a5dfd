// The pure parts of the inspection commands: the plan's text, the DOT graph, prune's decision,
// doctor's checks on a made-up host, the shell's docker command line, and binfmt's reading.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedNode, ResolvedTree } from '../../lib/config/types.js';
import type { ImageSummary } from '../../lib/engine/engine-port.js';
import { LABEL } from '../../lib/engine/labels.js';
import { binfmtOk, emulatedArch, qemuArchOf, readBinfmt } from '../../lib/inspect/binfmt.js';
import { type DoctorHost, formatChecks, runChecks } from '../../lib/inspect/doctor-checks.js';
import { nodeState, toDot } from '../../lib/inspect/graph-dot.js';
import { decidePrune, parseDuration } from '../../lib/inspect/prune-plan.js';
import { shellSpec } from '../../lib/inspect/shell-args.js';
import { formatPlan, stepReason } from '../../lib/plan/plan-format.js';
import type { PlannedNode } from '../../lib/plan/plan.js';

const node = (name: string, extra: Partial<ResolvedNode> = {}): ResolvedNode =>
  ({ name, needs: [], platform: 'linux/amd64', vars: {}, steps: [], source: { file: 'x' }, ...extra }) as ResolvedNode;
const tree: ResolvedTree = {
  name: 'demo',
  file: '/p/trees/demo/demo.hjson',
  root: '/p',
  repository: 'demo',
  platform: 'linux/amd64',
  nodes: new Map([
    ['base', node('base', { bootstrap: { kind: 'tarball', file: 'r.tar', sha256: 'x' } })],
    ['app', node('app', { from: 'base' })],
    ['tools', node('tools', { from: 'base' })],
    ['leaf', node('leaf', { from: 'app', needs: ['tools'] })],
  ]),
};
const ID = `sha256:${'1234567890ab'.repeat(5)}abcd`;
const plan: PlannedNode[] = [
  { node: 'base', steps: [{ step: 'bootstrap', key: 'k0', state: 'cached', reasons: [], image: ID }] },
  {
    node: 'app',
    steps: [
      { step: 'one', key: 'k1', state: 'cached', reasons: [], image: ID },
      { step: 'two', key: 'k2', state: 'run', reasons: [{ part: 'script' }, { part: 'file', name: 'copy:/etc/motd' }] },
      { step: 'three', key: 'k3', state: 'run', reasons: [{ part: 'parent' }] },
    ],
  },
  { node: 'tools', steps: [{ step: 'apt', key: 'k4', state: 'run', reasons: [{ part: 'forced', by: '--rebuild tools' }] }] },
  { node: 'leaf', steps: [{ step: 'x', key: 'k5', state: 'blocked', reasons: [], waitsFor: 'img:bootstrap' }] },
];

describe('plan text', () => {
  test('DAG order, where each node starts, every step with its state and why', () => {
    expect(formatPlan(tree, plan)).toEqual([
      'plan of tree demo (repository demo): 4 nodes, 6 steps — 2 cached, 3 will run, 1 blocked',
      'base  root (tarball) · linux/amd64',
      '  ◆ bootstrap  cached 1234567890ab',
      'app  from base · linux/amd64',
      '  ◆ one        cached 1234567890ab',
      '  ▶ two        will run: script changed, file copy:/etc/motd changed',
      '  ▶ three      will run: parent step changed',
      'tools  from base · linux/amd64',
      '  ▶ apt        will run: cache skipped (--rebuild tools)',
      'leaf  from app · needs tools · linux/amd64',
      '  · x          blocked: behind blocked step img:bootstrap',
    ]);
  });
  test('a blocked step says why it cannot run', () => {
    expect(stepReason({ step: 'bootstrap', key: 'k', state: 'blocked', reasons: [], note: 'node img: image sha256:0 is not in the engine' })).toBe(
      'node img: image sha256:0 is not in the engine',
    );
  });
});

describe('graph', () => {
  test('node state: anything to run wins over blocked, blocked over cached', () => {
    expect(nodeState({ node: 'x', steps: [{ ...plan[3].steps[0] }, { ...plan[1].steps[1] }] })).toBe('run');
    expect(plan.map(nodeState)).toEqual(['cached', 'run', 'run', 'blocked']);
  });
  test('DOT: colored nodes with step counts, solid from-edges, dashed needs, a legend', () => {
    const dot = toDot(tree, plan);
    expect(dot).toContain(
      '"app" [label="app\\n1 cached, 2 to run", fillcolor="#ffcc80", tooltip="one: cached\\ntwo: run (script changed, file copy:/etc/motd changed)\\nthree: run (parent step changed)", class="run"];',
    );
    expect(dot).toContain('"base" [label="base\\n1 cached", fillcolor="#90caf9"');
    expect(dot).toContain('"leaf" [label="leaf\\n1 blocked", fillcolor="#e0e0e0"');
    expect(dot).toContain('"app" -> "leaf";');
    expect(dot).toContain('"tools" -> "leaf" [style=dashed];');
    expect(dot).toContain('subgraph cluster_legend');
  });
});

describe('prune', () => {
  const img = (id: string, labels: Record<string, string>, tags: string[] = [], created = 1000): ImageSummary => ({
    id,
    tags,
    labels: { [LABEL.tool]: 'stalker', [LABEL.tree]: 'demo', ...labels },
    created,
  });
  const trees = [
    {
      name: 'demo',
      repository: 'demo',
      nodes: new Map([
        ['app', ['one', 'two']],
        ['base', ['bootstrap']],
      ]),
    },
  ];
  const images = [
    img('base', { [LABEL.node]: 'base', [LABEL.step]: 'bootstrap' }, ['demo/base:bootstrap']),
    img('one', { [LABEL.node]: 'app', [LABEL.step]: 'one', [LABEL.parent]: 'base' }), // untagged, but a kept image is built on it
    img('two', { [LABEL.node]: 'app', [LABEL.step]: 'two', [LABEL.parent]: 'one' }, ['demo/app:two', 'demo/app:final']),
    img('old-two', { [LABEL.node]: 'app', [LABEL.step]: 'two', [LABEL.parent]: 'one' }, [], 500),
    img('hit', { [LABEL.node]: 'app', [LABEL.step]: 'two' }, [], 400), // untagged, but the plan reuses it
    img('gone', { [LABEL.node]: 'gone', [LABEL.step]: 's' }, ['demo/gone:s'], 900),
    img('renamed', { [LABEL.node]: 'app', [LABEL.step]: 'zero' }, ['demo/app:zero'], 800),
    img('other-tree', { [LABEL.tree]: 'old', [LABEL.node]: 'x', [LABEL.step]: 's' }, ['old/x:s'], 100),
    img('fail', { [LABEL.node]: 'app', [LABEL.step]: 'two', [LABEL.failed]: 'true' }, ['demo/app:failed-two'], 950),
  ];
  const containers = [
    { id: 'c-dead', labels: { [LABEL.pid]: '999999999', [LABEL.node]: 'app', [LABEL.step]: 'two', [LABEL.tree]: 'demo' }, state: 'exited', created: 100 },
    { id: 'c-live', labels: { [LABEL.pid]: '42', [LABEL.node]: 'app', [LABEL.step]: 'two', [LABEL.tree]: 'demo' }, state: 'running', created: 100 },
  ];
  const decide = (olderThan?: number) =>
    decidePrune({
      images,
      containers,
      trees,
      planHits: new Set(['hit']),
      now: 2000,
      olderThan,
      alive: (pid) => pid === 42,
    });

  test('keeps what a current tree references (tags, plan hits, their parents); removes the rest, newest first', () => {
    const d = decide();
    expect(d.images.map((i) => i.id)).toEqual(['gone', 'renamed', 'old-two', 'other-tree']);
    expect(Object.fromEntries(d.images.map((i) => [i.id, i.reason]))).toEqual({
      gone: 'node gone is no longer in tree demo',
      renamed: 'tag of a step that no longer exists',
      'old-two': 'superseded build: no current step would reuse it',
      'other-tree': 'tree old is not a current tree',
    });
    expect(d.images.find((i) => i.id === 'old-two')!.what).toBe('app:two (untagged) [tree demo]');
    expect(d.containers.map((c) => c.id)).toEqual(['c-dead']);
    expect(d.kept).toBe(5); // base, one, two, hit, fail
  });
  test('--older-than spares what is younger', () => {
    expect(decide(1300).images.map((i) => i.id)).toEqual(['old-two', 'other-tree']);
    expect(decide(1300).containers.map((c) => c.id)).toEqual(['c-dead']);
  });
  test('durations', () => {
    expect([parseDuration('45'), parseDuration('30m'), parseDuration('12h'), parseDuration('7d'), parseDuration('2w'), parseDuration('1.5h')]).toEqual([
      45, 1800, 43_200, 604_800, 1_209_600, 5400,
    ]);
    expect(() => parseDuration('soon')).toThrow(/not a duration: soon/);
  });
});

describe('doctor', () => {
  const host = (over: Partial<DoctorHost> = {}): DoctorHost => ({
    engine: {
      ping: async () => '20.10',
      info: async () => ({ version: '20.10', rootDir: '/var/lib/docker', storageDriver: 'overlay2', architecture: 'x86_64' }),
    },
    which: (cmd) => `/usr/bin/${cmd}`,
    binfmt: (arch) => ({ arch, registered: true, enabled: true, flags: 'PF', interpreter: `/usr/libexec/qemu-binfmt/${arch}-binfmt-P` }),
    freeBytes: async () => 50e9,
    hostArch: 'x86_64',
    ...over,
  });
  const scope = { platforms: ['linux/amd64', 'linux/arm64', 'linux/arm64'], projectDir: '/p' };

  test('a healthy host passes every check', async () => {
    const checks = await runChecks(host(), scope);
    expect(checks.every((c) => c.status === 'ok')).toBe(true);
    expect(checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'engine',
        'binfmt linux/arm64',
        'platform linux/amd64',
        'disk project',
        'disk engine',
        'tool mmdebstrap',
        'tool qemu-system-aarch64',
      ]),
    );
    expect(formatChecks(checks).pop()).toBe('all good');
  });
  test('each problem comes with its fix', async () => {
    const checks = await runChecks(
      host({
        engine: {
          ping: async () => {
            throw new Error('connect ENOENT /var/run/docker.sock');
          },
        },
        which: (cmd) => (cmd === 'mcopy' || cmd === 'dot' ? undefined : `/usr/bin/${cmd}`),
        binfmt: (arch) => ({ arch, registered: true, enabled: true, flags: 'P' }),
        freeBytes: async () => 1e9,
      }),
      scope,
    );
    const by = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(by.engine).toMatchObject({ status: 'fail', fix: expect.stringMatching(/bin\/setup/) });
    expect(by['binfmt linux/arm64']).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/without the F flag/),
      fix: expect.stringMatching(/stalker binfmt/),
    });
    expect(by['disk project']).toMatchObject({ status: 'fail', detail: '1.0 GB free on /p' });
    expect(by['tool mcopy']).toMatchObject({ status: 'fail', fix: 'apt-get install mtools' });
    expect(by['tool dot']).toMatchObject({ status: 'warn', fix: 'apt-get install graphviz' });
    expect(by['disk engine']).toBeUndefined(); // the engine did not say where it keeps its data
    const text = formatChecks(checks);
    expect(text).toContain('FAIL tool mcopy: mcopy not found on PATH (needed for the image writer (boot files))\n     fix: apt-get install mtools');
    expect(text.pop()).toBe('4 problem(s), 1 warning(s): see the fixes above');
  });
  test('low disk warns before it fails; a disabled handler fails', async () => {
    const checks = await runChecks(host({ freeBytes: async () => 5e9, binfmt: (arch) => ({ arch, registered: true, enabled: false, flags: 'PF' }) }), scope);
    expect(checks.find((c) => c.name === 'disk project')!.status).toBe('warn');
    expect(checks.find((c) => c.name === 'binfmt linux/arm64')!.detail).toMatch(/registered but disabled/);
  });
});

describe('binfmt', () => {
  test('which qemu a platform needs on a host', () => {
    expect(qemuArchOf('linux/arm64')).toBe('aarch64');
    expect(qemuArchOf('linux/arm/v7')).toBe('arm');
    expect(emulatedArch('linux/arm64', 'x86_64')).toBe('aarch64');
    expect(emulatedArch('linux/amd64', 'x86_64')).toBeUndefined();
    expect(emulatedArch('linux/amd64', 'aarch64')).toBe('x86_64');
    expect(emulatedArch('linux/arm/v7', 'aarch64')).toBeUndefined();
    expect(emulatedArch('linux/riscv64', 'x86_64')).toBe('riscv64');
  });
  test('reads a handler entry: enabled, flags, interpreter', () => {
    const dir = mkdtempSync(join(tmpdir(), 'binfmt-'));
    try {
      writeFileSync(join(dir, 'qemu-aarch64'), 'enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: PF\noffset 0\nmagic 7f454c46\n');
      writeFileSync(join(dir, 'qemu-arm'), 'disabled\ninterpreter /usr/bin/qemu-arm-static\nflags: \n');
      expect(readBinfmt('aarch64', dir)).toEqual({
        arch: 'aarch64',
        registered: true,
        enabled: true,
        flags: 'PF',
        interpreter: '/usr/libexec/qemu-binfmt/aarch64-binfmt-P',
      });
      expect(binfmtOk(readBinfmt('aarch64', dir))).toBe(true);
      expect(binfmtOk(readBinfmt('arm', dir))).toBe(false);
      expect(readBinfmt('riscv64', dir)).toEqual({ arch: 'riscv64', registered: false, enabled: false, flags: '' });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe('shell', () => {
  const spec = {
    ref: 'demo/app:two',
    platform: 'linux/arm64',
    tree: 'demo',
    node: 'app',
    step: 'two',
    pid: 7,
    tty: true,
    command: [] as string[],
    staged: true,
    binds: [
      { source: '/tmp/stage', target: '/run/stalker', readOnly: true },
      { source: '/cache/apt', target: '/var/cache/apt', readOnly: false },
    ],
  };
  test('a container of the step image, platform, mounts and labels; a login shell through the env-loading entry', () => {
    const c = shellSpec(spec);
    expect(c).toMatchObject({ image: 'demo/app:two', platform: 'linux/arm64', workingDir: '/', tty: true, stdin: true, binds: spec.binds });
    expect(c.labels).toMatchObject({ 'stalker.tool': 'stalker', 'stalker.pid': '7', 'stalker.step': 'two', 'stalker.run': 'shell' });
    expect(c.cmd).toEqual(['/bin/sh', '/run/stalker/entry', '/bin/sh', '-c', 'if [ -x /bin/bash ]; then exec /bin/bash; else exec /bin/sh; fi']);
  });
  test('a command without a terminal and without a staged step', () => {
    const c = shellSpec({ ...spec, tty: false, binds: [], staged: false, command: ['cat', '/etc/os-release'] });
    expect(c.tty).toBe(false);
    expect(c.cmd).toEqual(['/bin/sh', '-c', 'exec "$@"', 'sh', 'cat', '/etc/os-release']);
  });
});
