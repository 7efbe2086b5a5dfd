// The shared step cache through a real registry (Debian's docker-registry on 127.0.0.1): engine A
// (the main daemon) builds and pushes; engine B (a second dockerd, a "second machine") builds the
// same tree and runs nothing. Then the registry's failures: stopped mid-run, a blob gone behind a
// tag, a tag pointing at another image. Everything is asserted from the build's events.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RegistryAddress } from '../../lib/cache/registry-address.js';
import { headManifest } from '../../lib/cache/registry-client.js';
import type { Engine } from '../../lib/engine/engine-port.js';
import type { StalkerEvent } from '../../lib/events/events.js';
import { type BuildRun, cached, engine as engineA, expectOk, ran, runBuild } from '../support/build-harness.js';
import { makeProject, type TestProject } from '../support/project.js';
import { type RegistryServer, REGISTRY_BIN } from '../support/registry-server.js';
import type { SecondEngine } from '../support/second-dockerd.js';
import { startRig, stopRig } from '../support/two-engine-rig.js';
import { tarballTree } from '../support/tarball-tree.js';

const TREE = `sharet${process.pid}`;
const REPO = `sharet${process.pid}`;
const STEPS = ['base:bootstrap', 'app:one', 'app:two', 'app:three'];
let project: TestProject;
let registry: RegistryServer;
let b: SecondEngine;
let reg: RegistryAddress;

const run = (engine: Engine, onEvent?: (e: StalkerEvent) => void) =>
  runBuild(project, { engine, cache: { from: reg, to: reg }, ...(onEvent ? { onEvent } : {}) });
const fromRegistry = (r: BuildRun) =>
  r.events.filter((e) => e.type === 'step-cached' && e.source === 'registry').map((e) => `${(e as { node: string }).node}:${(e as { step: string }).step}`);
const keyOf = (r: BuildRun, step: string) =>
  (r.events.find((e) => (e.type === 'step-done' || e.type === 'step-cached') && `${e.node}:${e.step}` === step) as { key: string }).key;
const startOf = (r: BuildRun, step: string) => r.events.find((e) => e.type === 'step-start' && `${e.node}:${e.step}` === step);

/** Engine B forgets everything: the next build there starts from what the registry holds. */
async function wipe(engine: Engine): Promise<void> {
  for (const c of await engine.containers.list({})) await engine.containers.remove(c.id);
  // Steps committed in one second share a creation time, so a parent may come before its child
  // (a 409 the port takes as benign): passes until nothing is left.
  for (let pass = 0; pass < 10 && (await engine.images.list({})).length; pass++) {
    for (const i of (await engine.images.list({})).sort((x, y) => y.created - x.created)) await engine.images.remove(i.id);
  }
  expect(await engine.images.list({})).toEqual([]);
}

const available = existsSync(REGISTRY_BIN);
const maybe = available ? describe : describe.skip;

maybe('shared cache through a registry', () => {
  let first: BuildRun;

  beforeAll(async () => {
    project = makeProject(TREE, {
      [`trees/${TREE}/${TREE}.hjson`]: tarballTree('app: { from: "base", stalk: "app" }', { repository: REPO }),
      'stalks/app/app.hjson': `{ steps: [
        { name: "one", run: "echo one-${process.pid} > /one" }
        { name: "two", run: "echo two > /two" }
        { name: "three", run: "cat /one /two > /three" }
      ] }`,
    });
    ({ registry, reg, b } = await startRig('steps', 'i11b'));
  }, 60_000);

  afterAll(() => stopRig({ registry, b }, TREE, project), 60_000);

  test('engine A builds and pushes every step image; the registry holds each key', async () => {
    first = await run(engineA);
    expectOk(first);
    const pushes = first.events.filter((e) => e.type === 'cache-push');
    expect(pushes.every((e) => e.type === 'cache-push' && e.ok)).toBe(true);
    for (const s of STEPS) expect(await headManifest(reg, keyOf(first, s))).toMatchObject({ kind: 'found' });
  }, 120_000);

  test('engine B (empty) builds the same tree: zero steps run, every step a remote hit', async () => {
    expect(await b.engine.images.list({})).toEqual([]);
    const r = await run(b.engine);
    expectOk(r);
    expect(ran(r)).toEqual([]);
    expect(fromRegistry(r)).toEqual(STEPS);
    const done = r.events.find((e) => e.type === 'run-done');
    expect(done).toMatchObject({ ran: 0, cached: 4, pulled: 4 });
    // The pulled images are the keyed step images, tagged like a local build's.
    const three = await b.engine.images.inspect(`${REPO}/app:three`);
    expect(three?.labels['stalker.key']).toBe(keyOf(first, 'app:three'));
  }, 120_000);

  test('registry stopped mid-run: one warning, the rest are misses, the build succeeds', async () => {
    await wipe(b.engine);
    let stopping: Promise<void> | undefined;
    const r = await run(b.engine, (e) => {
      // After the first pull: the HEAD round said "all hits", then the registry went away.
      if (e.type === 'step-cached' && e.step === 'bootstrap') stopping = registry.stop();
    });
    await stopping;
    expectOk(r);
    expect(fromRegistry(r)).toEqual(['base:bootstrap']);
    expect(ran(r)).toEqual(['app:one', 'app:two', 'app:three']);
    expect(r.events.filter((e) => e.type === 'cache-warning')).toHaveLength(1);
    expect(startOf(r, 'app:one')).toMatchObject({ reasons: [{ part: 'registry' }] });
    await registry.start();
  }, 120_000);

  test('a blob deleted behind a tag: that step is a miss, rebuilt and pushed again', async () => {
    await wipe(b.engine);
    const key = keyOf(first, 'app:two');
    const before = await headManifest(reg, key);
    if (before.kind !== 'found') throw new Error(`app:two not in the registry: ${before.kind}`);
    const manifest = (await (
      await fetch(`http://${registry.host}/v2/${reg.repository}/manifests/${before.digest}`, {
        headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
      })
    ).json()) as { layers: { digest: string }[] };
    const top = manifest.layers.at(-1)!.digest.slice('sha256:'.length);
    rmSync(join(registry.storage, 'docker/registry/v2/blobs/sha256', top.slice(0, 2), top), { recursive: true });
    await registry.stop(); // a restart empties the registry's in-memory blob cache
    await registry.start();
    const r = await run(b.engine);
    expectOk(r);
    expect(fromRegistry(r)).toEqual(expect.arrayContaining(['base:bootstrap', 'app:one']));
    expect(ran(r)).toContain('app:two');
    expect(startOf(r, 'app:two')).toMatchObject({ reasons: [{ part: 'registry' }] });
    expect(r.events.find((e) => e.type === 'cache-push' && e.key === key)).toMatchObject({ ok: true });
    const after = await headManifest(reg, key);
    expect(after).toMatchObject({ kind: 'found' });
    expect(after).not.toEqual(before);
  }, 120_000);

  test('a tag pointing at another image is rejected: a miss, never used', async () => {
    await wipe(b.engine);
    const key = keyOf(first, 'app:three');
    // Engine A pushes app:one's image under app:three's key.
    const repo = `${reg.host}/${reg.repository}`;
    const one = await engineA.images.inspect(`${REPO}/app:one`);
    await engineA.images.tag(one!.id, repo, key);
    await engineA.images.push!(repo, key);
    await engineA.images.remove(`${repo}:${key}`);
    const r = await run(b.engine);
    expectOk(r);
    expect(ran(r)).toEqual(['app:three']);
    expect(startOf(r, 'app:three')).toMatchObject({ reasons: [{ part: 'registry', why: expect.stringContaining('not the image of this key') }] });
    const three = await b.engine.images.inspect(`${REPO}/app:three`);
    expect(three?.labels['stalker.key']).toBe(key);
    expect(cached(r)).toEqual(['base:bootstrap', 'app:one', 'app:two']);
  }, 120_000);
});
