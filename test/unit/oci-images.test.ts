// The OCI layout store on a temp dir: import, tags moving between images, an untagged image
// still listed, removal collecting blobs no image reaches.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OciImages } from '../../lib/engine/oci-store/oci-images.js';
import { OciLayout } from '../../lib/engine/oci-store/oci-layout.js';

let dir: string;
let images: OciImages;
let gone: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oci-unit-'));
  gone = [];
  images = new OciImages(new OciLayout(join(dir, 'oci')), async (d) => {
    gone.push(...d);
  });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function rootTar(content: string): string {
  const src = join(dir, `src-${content}`);
  execFileSync('mkdir', ['-p', join(src, 'etc')]);
  writeFileSync(join(src, 'etc/note'), content);
  const tar = `${src}.tar`;
  execFileSync('tar', ['-C', src, '-cf', tar, '.']);
  return tar;
}

test('an import is a one-layer image with our labels, the platform and a ref in the index', async () => {
  const id = await images.importTar(rootTar('a'), { repo: 't/base', tag: 'bootstrap', platform: 'linux/arm64', labels: { 'stalker.key': 'k1' } });
  const i = await images.inspect('t/base:bootstrap');
  expect(i).toMatchObject({ id, architecture: 'arm64', os: 'linux', tags: ['t/base:bootstrap'], labels: { 'stalker.key': 'k1' }, cmd: ['/bin/sh'] });
  expect(await images.inspect(id.slice(7, 19))).toMatchObject({ id }); // a short id, as Docker takes
  const index = JSON.parse(readFileSync(join(dir, 'oci/index.json'), 'utf8'));
  expect(index.manifests[0].annotations['org.opencontainers.image.ref.name']).toBe('t/base:bootstrap');
  expect((await images.list({ 'stalker.key': 'k1' })).map((s) => s.id)).toEqual([id]);
  expect(await images.list({ 'stalker.key': 'k2' })).toEqual([]);
});

test('a tag moved to another image leaves the first untagged but listed; removing it collects only its own blobs', async () => {
  const a = await images.importTar(rootTar('a'), { repo: 't/n', tag: 's', platform: 'linux/amd64', labels: {} });
  const b = await images.importTar(rootTar('b'), { repo: 't/n', tag: 's', platform: 'linux/amd64', labels: {} });
  expect((await images.inspect('t/n:s'))?.id).toBe(b);
  expect((await images.inspect(a))?.tags).toEqual([]);
  await images.tag(b, 't/n', 'final');
  expect((await images.inspect(b))?.tags.sort()).toEqual(['t/n:final', 't/n:s']);
  await images.remove('t/n:final'); // one of two tags: untags only
  expect((await images.inspect(b))?.tags).toEqual(['t/n:s']);
  const blobs = () => readdirSync(join(dir, 'oci/blobs/sha256')).length;
  const before = blobs();
  await images.remove(a);
  expect(await images.inspect(a)).toBeUndefined();
  expect(blobs()).toBe(before - 3); // its config, manifest and layer
  expect(gone).toHaveLength(3);
  expect(await images.inspect('t/n:s')).toMatchObject({ id: b });
});

test("two stores on one layout (two processes) do not lose each other's refs", async () => {
  const other = new OciImages(new OciLayout(join(dir, 'oci')));
  const tars = [0, 1, 2, 3, 4, 5].map((i) => rootTar(`c${i}`));
  await Promise.all(tars.map((t, i) => (i % 2 ? images : other).importTar(t, { repo: 't/c', tag: `s${i}`, platform: 'linux/amd64', labels: {} })));
  expect((await images.list({})).flatMap((i) => i.tags).sort()).toEqual(['t/c:s0', 't/c:s1', 't/c:s2', 't/c:s3', 't/c:s4', 't/c:s5']);
});
