// The cache key and its explanation, without Docker: key parts come from a hand-made ResolvedStep
// through the same stepKeyParts the plan and the build use. Parents and needs are keys (chain keys).
import { createHash } from 'node:crypto';
import { cacheKey, KEY_VERSION, type BootstrapKeyParts, type StepKeyParts } from '../../lib/cache/cache-key.js';
import { canonicalJson } from '../../lib/cache/canonical-json.js';
import { describeChange, diffKeyParts, type KeyChange } from '../../lib/cache/key-diff.js';
import type { Bootstrap, ResolvedNode, ResolvedStep } from '../../lib/config/types.js';
import { bootstrapKeyParts, MMDEBSTRAP_RECIPE } from '../../lib/plan/bootstrap-step.js';
import { executorPart, stepKeyParts } from '../../lib/plan/script-step.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const PARENT = sha('parent step key');
const OTHER_PARENT = sha('another parent step key');

function makeStep(over: Partial<ResolvedStep> = {}): ResolvedStep {
  const script = Buffer.from('#!/bin/sh -e\necho "$greeting" > /hello\n');
  const motd = Buffer.from('Hello, world!\n');
  return {
    node: 'app',
    name: 'hello',
    script: { origin: '/p/stalks/app/app.hjson#steps[0].run', content: script, sha256: sha(script.toString()) },
    args: ['one', 'two words'],
    env: { greeting: 'Hello', who: 'world' },
    secrets: [],
    cache: true,
    mounts: [
      { source: '/p/stalks/app/data', target: '/data', readOnly: true, sha256: sha('data v1') },
      { source: '/p/sysroot/usr/local/bin/tool', target: '/usr/local/bin/tool', readOnly: true, sha256: sha('tool v1') },
    ],
    caches: [{ name: 'apt', target: '/var/cache/apt/archives' }],
    files: [{ target: '/etc/motd', content: motd, mode: 0o644, how: 'copy', origin: '/p/stalks/app/motd.tmpl', sha256: sha(motd.toString()) }],
    copies: [],
    ...over,
  };
}

const partsOf = (step: ResolvedStep, parent = PARENT, platform = 'linux/amd64', needs: Record<string, string> = {}, engine = 'docker') =>
  stepKeyParts(step, parent, platform, needs, executorPart(engine));
const keyOf = (...args: Parameters<typeof partsOf>) => cacheKey(partsOf(...args));

describe('canonicalJson', () => {
  test('sorts object keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson(['b', 'a'])).toBe('["b","a"]');
  });

  test('equal values in a different key order give the same text', () => {
    expect(canonicalJson({ x: 1, y: { p: 'a', q: 'b' } })).toBe(canonicalJson({ y: { q: 'b', p: 'a' }, x: 1 }));
  });
});

describe('cacheKey', () => {
  test('is the sha256 of the canonical JSON of its parts', () => {
    const parts = partsOf(makeStep());
    expect(cacheKey(parts)).toBe(sha(canonicalJson(parts)));
    expect(cacheKey(parts)).toMatch(/^[0-9a-f]{64}$/);
  });

  test('is stable: same inputs, same key, whatever the order of env, files, mounts or needs', () => {
    const a = makeStep();
    const b = makeStep({
      env: { who: 'world', greeting: 'Hello' },
      mounts: [...a.mounts].reverse(),
    });
    expect(keyOf(a, PARENT, 'linux/amd64', { x: 'sha256:1', y: 'sha256:2' })).toBe(keyOf(b, PARENT, 'linux/amd64', { y: 'sha256:2', x: 'sha256:1' }));
    expect(keyOf(makeStep())).toBe(keyOf(makeStep()));
  });

  test('carries the key version, so bumping it misses every old image', () => {
    const parts = partsOf(makeStep());
    expect(parts.v).toBe(KEY_VERSION);
    expect(cacheKey({ ...parts, v: KEY_VERSION + 1 })).not.toBe(cacheKey(parts));
  });

  const base = () => keyOf(makeStep());
  const changes: Array<[string, () => string]> = [
    ['parent step key', () => keyOf(makeStep(), OTHER_PARENT)],
    ['the executor (engine kind)', () => keyOf(makeStep(), PARENT, 'linux/amd64', {}, 'rootless')],
    ['platform', () => keyOf(makeStep(), PARENT, 'linux/arm64')],
    ['script bytes', () => keyOf(makeStep({ script: { origin: 'x', content: Buffer.from('#!/bin/sh\necho bye\n'), sha256: sha('#!/bin/sh\necho bye\n') } }))],
    ['an arg', () => keyOf(makeStep({ args: ['one', 'two  words'] }))],
    ['arg order', () => keyOf(makeStep({ args: ['two words', 'one'] }))],
    ['a var value', () => keyOf(makeStep({ env: { greeting: 'Bonjour', who: 'world' } }))],
    ['a new var', () => keyOf(makeStep({ env: { greeting: 'Hello', who: 'world', extra: '' } }))],
    ['a copied file', () => keyOf(makeStep({ files: [{ ...makeStep().files[0], sha256: sha('Hello, stalker!\n') }] }))],
    ['a file mode', () => keyOf(makeStep({ files: [{ ...makeStep().files[0], mode: 0o755 }] }))],
    ['copy vs mount of a file', () => keyOf(makeStep({ files: [{ ...makeStep().files[0], how: 'mount' }] }))],
    ['a mounted dir', () => keyOf(makeStep({ mounts: [{ ...makeStep().mounts[0], sha256: sha('data v2') }, makeStep().mounts[1]] }))],
    ['a sysroot file', () => keyOf(makeStep({ mounts: [makeStep().mounts[0], { ...makeStep().mounts[1], sha256: sha('tool v2') }] }))],
    ['a mount made rw', () => keyOf(makeStep({ mounts: [{ ...makeStep().mounts[0], readOnly: false }, makeStep().mounts[1]] }))],
    ['a needed node', () => keyOf(makeStep(), PARENT, 'linux/amd64', { tools: 'sha256:abc' })],
    ['a secret name', () => keyOf(makeStep({ secrets: ['API_TOKEN'] }))],
    ['a copy from a node', () => keyOf(makeStep({ copies: [{ from: 'tools', src: '/usr/bin/jq', dest: '/opt/jq' }] }))],
  ];
  test.each(changes)('changes when %s changes', (_what, changed) => {
    expect(changed()).not.toBe(base());
  });

  test('each field of a copy changes the key', () => {
    const jq = { from: 'tools', src: '/usr/bin/jq', dest: '/opt/jq' };
    const keys = [jq, { ...jq, from: 'other' }, { ...jq, src: '/usr/bin/yq' }, { ...jq, dest: '/usr/bin/jq' }].map((c) => keyOf(makeStep({ copies: [c] })));
    expect(new Set(keys).size).toBe(4);
  });

  test('a step without copies has no copies part, so keys made before copies existed still hit', () => {
    expect(partsOf(makeStep())).not.toHaveProperty('copies');
  });

  test('named caches are not part of the key', () => {
    expect(keyOf(makeStep({ caches: [] }))).toBe(base());
    expect(keyOf(makeStep({ caches: [{ name: 'pip', target: '/root/.cache/pip' }] }))).toBe(base());
  });

  test('where a script came from does not matter, only its bytes', () => {
    const s = makeStep();
    expect(keyOf(makeStep({ script: { ...s.script, origin: '/elsewhere/run.sh' } }))).toBe(base());
  });

  test('a cache:false step gets a fresh key every time', () => {
    const step = makeStep({ cache: false });
    expect(keyOf(step)).not.toBe(keyOf(step));
  });
});

describe('secrets', () => {
  const saved = process.env.API_TOKEN;
  afterEach(() => {
    if (saved === undefined) delete process.env.API_TOKEN;
    else process.env.API_TOKEN = saved;
  });

  test('only their names reach the key parts; values never do and do not change the key', () => {
    process.env.API_TOKEN = 'hunter2-very-secret';
    const step = makeStep({ secrets: ['API_TOKEN'] });
    const parts = partsOf(step);
    expect(parts.secrets).toEqual(['API_TOKEN']);
    const text = canonicalJson(parts);
    expect(text).not.toContain('hunter2-very-secret');
    const key = cacheKey(parts);
    process.env.API_TOKEN = 'another-value';
    expect(keyOf(step)).toBe(key);
  });

  test('their names are keyed in a stable order', () => {
    expect(keyOf(makeStep({ secrets: ['A', 'B'] }))).toBe(keyOf(makeStep({ secrets: ['B', 'A'] })));
  });
});

describe('diffKeyParts', () => {
  const before = partsOf(makeStep(), PARENT, 'linux/amd64', { tools: 'sha256:t1' });
  const diff = (after: StepKeyParts) => diffKeyParts(before, after);

  test('a step never built before says so', () => {
    expect(diffKeyParts(undefined, before)).toEqual([{ part: 'never-built' }]);
  });

  test('unchanged parts give no change', () => {
    expect(diff(partsOf(makeStep(), PARENT, 'linux/amd64', { tools: 'sha256:t1' }))).toEqual([]);
  });

  test('names the changed var with its old and new value', () => {
    const after = partsOf(makeStep({ env: { greeting: 'Bonjour', who: 'world' } }), PARENT, 'linux/amd64', { tools: 'sha256:t1' });
    expect(diff(after)).toEqual([{ part: 'var', name: 'greeting', before: 'Hello', after: 'Bonjour' }]);
  });

  test('names an added and a removed var', () => {
    const after = partsOf(makeStep({ env: { greeting: 'Hello', extra: '1' } }), PARENT, 'linux/amd64', { tools: 'sha256:t1' });
    expect(diff(after)).toEqual([
      { part: 'var', name: 'extra', before: undefined, after: '1' },
      { part: 'var', name: 'who', before: 'world', after: undefined },
    ]);
  });

  test('names the changed file by its place in the container', () => {
    const after = partsOf(makeStep({ files: [{ ...makeStep().files[0], sha256: sha('other') }] }), PARENT, 'linux/amd64', { tools: 'sha256:t1' });
    expect(diff(after)).toEqual([expect.objectContaining({ part: 'file', name: 'copy:/etc/motd' })]);
  });

  test('names the changed mount', () => {
    const after = partsOf(makeStep({ mounts: [makeStep().mounts[0], { ...makeStep().mounts[1], sha256: sha('tool v2') }] }), PARENT, 'linux/amd64', {
      tools: 'sha256:t1',
    });
    expect(diff(after)).toEqual([expect.objectContaining({ part: 'mount', name: '/usr/local/bin/tool' })]);
  });

  test('names the parent, the script, the args and the platform', () => {
    const script = Buffer.from('#!/bin/sh\ntrue\n');
    const after = partsOf(makeStep({ script: { origin: 'x', content: script, sha256: sha(script.toString()) }, args: [] }), OTHER_PARENT, 'linux/arm64', {
      tools: 'sha256:t1',
    });
    expect(
      diff(after)
        .map((c) => c.part)
        .sort(),
    ).toEqual(['args', 'parent', 'platform', 'script']);
  });

  test('names the changed needed node', () => {
    const after = partsOf(makeStep(), PARENT, 'linux/amd64', { tools: 'sha256:t2' });
    expect(diff(after)).toEqual([{ part: 'need', name: 'tools', before: 'sha256:t1', after: 'sha256:t2' }]);
  });

  test('a cache:false step says it is uncached', () => {
    const after = partsOf(makeStep({ cache: false }), PARENT, 'linux/amd64', { tools: 'sha256:t1' });
    expect(diff(after)).toEqual([{ part: 'uncached' }]);
  });

  test('a changed copy list is named', () => {
    const before = partsOf(makeStep());
    const after = partsOf(makeStep({ copies: [{ from: 'tools', src: '/a', dest: '/b' }] }));
    expect(diffKeyParts(before, after)).toEqual([{ part: 'copies' }]);
    expect(describeChange({ part: 'copies' })).toBe('copy list changed');
  });

  test('a different key version is reported alone', () => {
    expect(diff({ ...before, v: before.v + 1 })).toEqual([{ part: 'version' }]);
  });

  // The key covers `secrets` (names), so a step whose only change is a new secret misses; explain
  // must then say why.
  test('every change of the key is explained: a changed secret name too', () => {
    const after = partsOf(makeStep({ secrets: ['API_TOKEN'] }), PARENT, 'linux/amd64', { tools: 'sha256:t1' });
    expect(cacheKey(after)).not.toBe(cacheKey(before));
    expect(diff(after)).not.toEqual([]);
  });

  test('bootstrap parts: names the platform and the bootstrap options', () => {
    const boot = (arch: string, platform: string): BootstrapKeyParts => ({
      v: KEY_VERSION,
      kind: 'bootstrap',
      platform,
      bootstrap: { kind: 'debootstrap', suite: 'bookworm', arch },
    });
    expect(diffKeyParts(boot('amd64', 'linux/amd64'), boot('arm64', 'linux/arm64')).map((c) => c.part)).toEqual(['platform', 'bootstrap']);
    expect(diffKeyParts(boot('amd64', 'linux/amd64'), boot('amd64', 'linux/amd64'))).toEqual([]);
  });

  test("a debootstrap root's key names the version of stalker's mmdebstrap hooks; other bootstraps' keys do not", () => {
    const node = { platform: 'linux/arm64' } as unknown as ResolvedNode;
    const deb = {
      kind: 'debootstrap',
      suite: 'trixie',
      variant: 'minbase',
      arch: 'arm64',
      components: ['main'],
      include: [],
      mirror: 'm',
    } as unknown as Bootstrap;
    expect(bootstrapKeyParts(node, deb).bootstrap).toMatchObject({ suite: 'trixie', recipe: MMDEBSTRAP_RECIPE });
    const old = { ...bootstrapKeyParts(node, deb), bootstrap: { ...bootstrapKeyParts(node, deb).bootstrap, recipe: MMDEBSTRAP_RECIPE - 1 } };
    expect(cacheKey(old)).not.toBe(cacheKey(bootstrapKeyParts(node, deb)));
    const tar = { kind: 'tarball', sha256: 'abc', file: '/x/root.tar' } as unknown as Bootstrap;
    expect(bootstrapKeyParts(node, tar).bootstrap).toEqual({ kind: 'tarball', sha256: 'abc' });
  });

  test('an executor change is named', () => {
    expect(diffKeyParts(before, partsOf(makeStep(), PARENT, 'linux/amd64', { tools: 'sha256:t1' }, 'rootless'))).toEqual([{ part: 'executor' }]);
  });

  test('a step that used to be a bootstrap reports the kind', () => {
    const boot: BootstrapKeyParts = { v: KEY_VERSION, kind: 'bootstrap', platform: 'linux/amd64', bootstrap: {} };
    expect(diffKeyParts(boot, before)).toEqual([{ part: 'kind' }]);
  });
});

describe('describeChange', () => {
  const cases: Array<[KeyChange, RegExp]> = [
    [{ part: 'never-built' }, /never built/],
    [{ part: 'uncached' }, /cache: false/],
    [{ part: 'var', name: 'greeting', before: 'Hello', after: 'Bonjour' }, /var greeting changed \(Hello -> Bonjour\)/],
    [{ part: 'var', name: 'extra', after: '1' }, /var extra changed \(<unset> -> 1\)/],
    [{ part: 'file', name: 'copy:/etc/motd' }, /file copy:\/etc\/motd changed/],
    [{ part: 'mount', name: '/data' }, /mounted \/data changed/],
    [{ part: 'need', name: 'tools' }, /needed node tools changed/],
    [{ part: 'parent' }, /parent step changed/],
    [{ part: 'executor' }, /executor changed/],
    [{ part: 'forced', by: '--rebuild app' }, /cache skipped \(--rebuild app\)/],
    [{ part: 'script' }, /script changed/],
  ];
  test.each(cases)('%j reads as %s', (change, text) => {
    expect(describeChange(change)).toMatch(text);
  });
});
