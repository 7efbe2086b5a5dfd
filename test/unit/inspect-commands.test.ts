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
  name: 'demo', file: '/p/trees/demo/demo.hjson', root: '/p', repository: 'demo', platform: 'linux/amd64',
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
  { node: 'app', steps: [
    { step: 'one', key: 'k1', state: 'cached', reasons: [], image: ID },
    { step: 'two', key: 'k2', state: 'run', reasons: [{ part: 'script' }, { part: 'file', name: 'copy:/etc/motd' }] },
    { step: 'three', key: 'k3', state: 'run', reasons: [{ part: 'parent' }] },
  ] },
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
    expect(stepReason({ step: 'bootstrap', key: 'k', state: 'blocked', reasons: [], note: 'node img: image sha256:0 is not in the engine' }))
      .toBe('node img: image sha256:0 is not in the engine');
  });
});

describe('shell', () => {
  const spec = { ref: 'demo/app:two', platform: 'linux/arm64', tree: 'demo', node: 'app', step: 'two', pid: 7, tty: true, command: [] as string[], staged: true,
    binds: [{ source: '/tmp/stage', target: '/run/stalker', readOnly: true }, { source: '/cache/apt', target: '/var/cache/apt', readOnly: false }] };
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
