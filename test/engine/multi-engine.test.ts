// Several engines in one build, with real parts: engine a (the main daemon, native amd64, emulates
// arm64) and engine b (a second dockerd on this machine, declared native arm64: binfmt makes that
// true enough for routing), Debian's docker-registry on 127.0.0.1. Every scenario is asserted from
// the build's events: routing with copies across the engines (streamed, then through the registry),
// `plan` naming the engines, engine b killed mid-step (a clean failure naming b, a rerun resumes),
// and two runs building the same keys on the two engines at once.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RegistryAddress } from '../../lib/cache/registry-address.js';
import type { StalkerEvent } from '../../lib/events/events.js';
import type { BuildSite } from '../../lib/run/build-engines.js';
import { busyboxRoot } from '../support/busybox-root.js';
import { type BuildRun, engine as engineA, expectOk, ran, runBuild } from '../support/build-harness.js';
import { makeProject, type TestProject } from '../support/project.js';
import { type RegistryServer, REGISTRY_BIN } from '../support/registry-server.js';
import type { SecondEngine } from '../support/second-dockerd.js';
import { startRig, stopRig } from '../support/two-engine-rig.js';

const TREE = `multit${process.pid}`;
const REPO = `multit${process.pid}`;
const STALKER = join(process.cwd(), 'bin', 'stalker');
let project: TestProject;
let registry: RegistryServer;
let reg: RegistryAddress;
let b: SecondEngine;

function site(): BuildSite {
  return {
    file: 'engines.hjson',
    engines: [
      { name: 'a', engine: engineA, platforms: ['linux/amd64'], emulates: ['linux/arm64'], push: true },
      { name: 'b', engine: b.engine, platforms: ['linux/arm64'], emulates: [], push: true, where: b.host },
    ],
  };
}

/** maker (amd64, on a) -> copied into armuser (arm64, on b) -> copied back into back (amd64, on a). */
function writeTree(flavor: string, nap = 0): void {
  const amd = busyboxRoot('amd64');
  const arm = busyboxRoot('arm64');
  project.write(
    `trees/${TREE}/${TREE}.hjson`,
    `{
    repository: "${REPO}"
    platform: "linux/amd64"
    vars: { flavor: "${flavor}", nap: "${nap}" }
    stalks: {
      base: { bootstrap: { kind: "tarball", file: "${amd.file}", sha256: "${amd.sha256}" } }
      maker: { from: "base", stalk: "maker" }
      armbase: { platform: "linux/arm64", bootstrap: { kind: "tarball", file: "${arm.file}", sha256: "${arm.sha256}" } }
      armuser: { from: "armbase", stalk: "armuser", copy: [ { from: "maker", src: "/out/msg", dest: "/got/msg" } ] }
      back: { from: "maker", stalk: "back", copy: [ { from: "armuser", src: "/arch", dest: "/arm-arch" } ] }
    }
  }`,
  );
}

const nodeEngines = (r: BuildRun) => Object.fromEntries(r.events.flatMap((e) => (e.type === 'node-start' ? [[e.node, `${e.engine}/${e.route}`]] : [])));
const moves = (r: BuildRun) => r.events.flatMap((e) => (e.type === 'image-moved' ? [`${e.node} ${e.from}->${e.to} ${e.via}`] : [])).sort();
const output = (r: BuildRun, step: string) => r.events.flatMap((e) => (e.type === 'step-output' && `${e.node}:${e.step}` === step ? [e.line] : [])).join('\n');
const stepEngines = (r: BuildRun) =>
  Object.fromEntries(r.events.flatMap((e) => (e.type === 'step-done' || e.type === 'step-cached' ? [[`${e.node}:${e.step}`, e.engine]] : [])));

const available = existsSync(REGISTRY_BIN);
const maybe = available ? describe : describe.skip;

maybe('several engines', () => {
  beforeAll(async () => {
    project = makeProject(TREE, {
      'stalks/maker/maker.hjson': `{ vars: { flavor: "" }, steps: [ { name: "make", run: "mkdir -p /out && echo made-$flavor > /out/msg" } ] }`,
      'stalks/armuser/armuser.hjson': `{ vars: { nap: "0" }, steps: [
        { name: "first", run: "echo first > /first" }
        { name: "look", run: "sleep $nap; uname -m > /arch; cat /got/msg /arch" }
      ] }`,
      'stalks/back/back.hjson': `{ steps: [ { name: "show", run: "uname -m; cat /arm-arch /out/msg" } ] }`,
    });
    ({ registry, reg, b } = await startRig('multi', 'i11m'));
  }, 60_000);

  afterAll(() => stopRig({ registry, b }, TREE, project), 60_000);

  test('arm64 nodes run on b, amd64 on a; copies cross the engines, streamed; a rerun runs nothing', async () => {
    writeTree('one');
    const r = await runBuild(project, { site: site() });
    expectOk(r);
    expect(nodeEngines(r)).toEqual({ base: 'a/native', maker: 'a/native', armbase: 'b/native', armuser: 'b/native', back: 'a/native' });
    expect(moves(r)).toEqual(['armuser b->a stream', 'maker a->b stream']);
    expect(stepEngines(r)).toMatchObject({ 'maker:make': 'a', 'armuser:first': 'b', 'armuser:look': 'b', 'back:show': 'a' });
    // Ran where routed: uname inside each engine's step, the copied file arrived both ways.
    expect(output(r, 'armuser:look')).toBe('made-one\naarch64');
    expect(output(r, 'back:show')).toBe('x86_64\naarch64\nmade-one');
    expect((await b.engine.images.inspect(`${REPO}/armuser:look`))?.architecture).toBe('arm64');
    expect(await engineA.images.inspect(`${REPO}/armuser:look`)).toBeUndefined();
    expect(readFileSync(join(dirname(r.summary.eventLog), 'report.html'), 'utf8')).toContain('on engine b');
    const again = await runBuild(project, { site: site() });
    expectOk(again);
    expect(ran(again)).toEqual([]);
    expect(moves(again)).toEqual([]);
  }, 180_000);

  test("`stalker plan` with the site file names each node's engine", () => {
    const file = join(project.root, 'engines.hjson');
    writeFileSync(
      file,
      `{ engines: [
        { name: "a", host: "unix:///var/run/docker.sock", platforms: ["linux/amd64"], emulates: ["linux/arm64"] }
        { name: "b", host: "${b.host}", platforms: ["linux/arm64"] }
      ] }`,
    );
    const text = execFileSync(STALKER, ['plan', '--config', project.tree, '--engines', file], { encoding: 'utf8' });
    expect(text).toMatch(/^armuser .*linux\/arm64 · on engine b$/m);
    expect(text).toMatch(/^back .*linux\/amd64 · on engine a$/m);
    expect(text).toMatch(/0 will run/);
    // Only an emulating engine for arm64: said so; none at all: an error before anything runs.
    writeFileSync(file, `{ engines: [ { name: "a", host: "unix:///var/run/docker.sock", platforms: ["linux/amd64"], emulates: ["linux/arm64"] } ] }`);
    expect(execFileSync(STALKER, ['plan', '--config', project.tree, '--engines', file], { encoding: 'utf8' })).toMatch(/^armuser .*on engine a \(emulated\)$/m);
    writeFileSync(file, `{ engines: [ { name: "a", host: "unix:///var/run/docker.sock", platforms: ["linux/amd64"] } ] }`);
    let failed: { status: number; stderr: string } | undefined;
    try {
      execFileSync(STALKER, ['--config', project.tree, '--engines', file], { encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      failed = err as { status: number; stderr: string };
    }
    expect(failed?.status).toBe(2);
    expect(failed?.stderr).toMatch(new RegExp(`${TREE}\\.hjson:\\d+: node armbase: no engine of .*engines\\.hjson runs linux/arm64`));
  }, 60_000);

  test('with a registry this run writes to, images move through it', async () => {
    writeTree('two');
    const r = await runBuild(project, { site: site(), cache: { from: reg, to: reg } });
    expectOk(r);
    expect(moves(r)).toEqual(['armuser b->a registry', 'maker a->b registry']);
    expect(output(r, 'back:show')).toBe('x86_64\naarch64\nmade-two');
    // The registry's tag was only a handle: a's image of armuser carries the node's own tag.
    expect((await engineA.images.inspect(`${REPO}/armuser:final`))?.labels['stalker.key']).toBeDefined();
    const toA = r.events.find((e) => e.type === 'image-moved' && e.node === 'armuser') as { key: string };
    expect(await engineA.images.inspect(`${reg.host}/${reg.repository}:${toA.key}`)).toBeUndefined();
  }, 180_000);

  test('engine b killed mid-step: the step fails naming b, no tag moves, a rerun resumes there', async () => {
    writeTree('three', 6);
    let killing: Promise<void> | undefined;
    const r = await runBuild(project, {
      site: site(),
      onEvent: (e: StalkerEvent) => {
        if (e.type === 'step-start' && e.node === 'armuser' && e.step === 'look') setTimeout(() => (killing = b.kill()), 1500);
      },
    });
    await new Promise((res) => setTimeout(res, 100));
    await killing;
    expect(r.summary.ok).toBe(false);
    const key = (r.events.find((e) => e.type === 'step-start' && e.node === 'armuser' && e.step === 'look') as { key: string }).key;
    expect(r.events.find((e) => e.type === 'step-failed')).toMatchObject({ node: 'armuser', step: 'look', engine: 'b' });
    const failed = r.events.find((e) => e.type === 'node-failed' && e.node === 'armuser') as { message: string };
    expect(failed.message).toMatch(new RegExp(`^engine b \\(${b.host.replace(/[/.]/g, '\\$&')}\\) failed: `));
    expect(r.events.find((e) => e.type === 'node-skipped' && e.node === 'back')).toBeDefined();
    expect(ran(r)).toEqual(expect.arrayContaining(['maker:make', 'armuser:first']));
    await b.restart();
    expect((await b.engine.images.inspect(`${REPO}/armuser:look`))?.labels['stalker.key']).not.toBe(key);
    const again = await runBuild(project, { site: site() });
    expectOk(again);
    expect(ran(again)).toEqual(['armuser:look', 'back:show']);
    expect(stepEngines(again)['armuser:first']).toBe('b');
    expect((await b.engine.images.inspect(`${REPO}/armuser:look`))?.labels['stalker.key']).toBe(key);
  }, 180_000);

  test('two runs building the same keys on a and on b at once: both succeed, one image per key in the registry', async () => {
    writeTree('four');
    // Each run on one engine of its own (amd64 nodes only would do; the arm64 ones emulate on a).
    const onA: BuildSite = { file: 'a.hjson', engines: [{ ...site().engines[0] }] };
    const onB: BuildSite = { file: 'b.hjson', engines: [{ ...site().engines[1], platforms: ['linux/arm64'], emulates: ['linux/amd64'] }] };
    const [ra, rb] = await Promise.all([
      runBuild(project, { site: onA, cache: { from: reg, to: reg } }),
      runBuild(project, { site: onB, cache: { from: reg, to: reg } }),
    ]);
    expectOk(ra);
    expectOk(rb);
    const keys = new Set(ra.events.flatMap((e) => (e.type === 'step-done' || e.type === 'step-cached' ? [e.key] : [])));
    const tags = ((await (await fetch(`http://${registry.host}/v2/${reg.repository}/tags/list`)).json()) as { tags: string[] }).tags;
    expect(tags).toEqual(expect.arrayContaining([...keys]));
    const pushes = [...ra.events, ...rb.events].filter((e) => e.type === 'cache-push');
    expect(pushes.every((e) => e.type === 'cache-push' && e.ok)).toBe(true);
    // Each key was built by both (neither held it), yet its registry tag names one image that carries it.
    for (const k of keys) {
      const pulled = await b.engine.images.pull!(`${reg.host}/${reg.repository}:${k}`);
      expect((await b.engine.images.inspect(pulled))?.labels['stalker.key']).toBe(k);
    }
  }, 240_000);

  test('prune: registry tags no current tree references, a dry run unless --yes', async () => {
    const tagsNow = async () => ((await (await fetch(`http://${registry.host}/v2/${reg.repository}/tags/list`)).json()) as { tags: string[] }).tags.sort();
    const before = await tagsNow();
    const current = (await runBuild(project, { site: site(), cache: { from: reg } })).events.flatMap((e) => (e.type === 'step-cached' ? [e.key] : []));
    const stale = before.filter((t) => !current.includes(t));
    expect(stale.length).toBeGreaterThan(0); // flavor two's steps
    const prune = (...extra: string[]) =>
      execFileSync(STALKER, ['prune', '--config', project.tree, '--tree', TREE, '--cache-to', `${reg.host}/${reg.repository}`, ...extra], { encoding: 'utf8' });
    const dry = prune();
    for (const t of stale) expect(dry).toContain(`would remove ${reg.host}/${reg.repository}:${t}: no current tree has this step key`);
    expect(dry).toContain(`dry run: ${stale.length} tag(s) of ${reg.host}/${reg.repository} to remove, ${before.length - stale.length} key(s) kept`);
    expect(await tagsNow()).toEqual(before);
    expect(prune('--yes')).toContain(`removed ${stale.length} tag(s)`);
    expect(await tagsNow()).toEqual(before.filter((t) => current.includes(t)));
  }, 120_000);
});
