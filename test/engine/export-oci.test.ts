// `stalker export NODE --oci DIR` against the real Docker engine: an arm64 busybox tree with the
// device-app stalk (trees/device-app's application node) written as an OCI image layout that the
// device's `sysdb image import` and skopeo read: one manifest with platform and ref.name, every
// blob named by its sha256, a config for linux/arm64 without the build's labels, layers that
// unpack to a root holding /bin/busybox and /app/run; a non-empty DIR and --oci with --output refused.
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeTreeArtifacts } from '../support/build-harness.js';
import { makeProject, type TestProject } from '../support/project.js';
import { tarballTree } from '../support/tarball-tree.js';

const TREE = `exportoci${process.pid}`;
const STALKER = join(process.cwd(), 'bin', 'stalker');
let project: TestProject;
let out: string;

beforeAll(() => {
  project = makeProject(TREE, {
    [`trees/${TREE}/${TREE}.hjson`]: tarballTree('app: { from: "base", stalk: "device-app" }', { arch: 'arm64', repository: TREE }),
    'stalks/device-app/device-app.hjson': readFileSync('stalks/device-app/device-app.hjson', 'utf8'),
  });
  out = mkdtempSync(join(tmpdir(), 'stalker-oci-'));
  const r = spawnSync(STALKER, ['--config', project.tree], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed: ${r.stdout}${r.stderr}`);
}, 120_000);

afterAll(async () => {
  await removeTreeArtifacts(TREE);
  project.cleanup();
  rmSync(out, { recursive: true, force: true });
});

const cli = (args: string[]) => spawnSync(STALKER, [args[0], '--config', project.tree, ...args.slice(1)], { encoding: 'utf8' });
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

test('--oci writes a layout: one arm64 manifest named by its ref, blobs matching their digests, a root with /app/run', () => {
  const dir = join(out, 'app.oci');
  const r = cli(['export', 'app', '--oci', dir]);
  expect(r.stderr).toMatch(/wrote .*app:final \(linux\/arm64, manifest sha256:[0-9a-f]{12}\) as an OCI layout in /);
  expect(r.status).toBe(0);
  expect(readdirSync(dir).sort()).toEqual(['blobs', 'index.json', 'oci-layout']);
  expect(json(join(dir, 'oci-layout'))).toEqual({ imageLayoutVersion: '1.0.0' });
  const index = json(join(dir, 'index.json'));
  expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
  expect(index.manifests).toHaveLength(1);
  const [d] = index.manifests;
  expect(d.platform).toEqual({ os: 'linux', architecture: 'arm64' });
  expect(d.annotations['org.opencontainers.image.ref.name']).toBe(`${TREE}/app:final`);

  const blobs = join(dir, 'blobs', 'sha256');
  for (const name of readdirSync(blobs)) expect(sha256(join(blobs, name))).toBe(name);
  const blob = (desc: { digest: string; size: number }) => {
    const file = join(blobs, desc.digest.replace(/^sha256:/, ''));
    expect(statSync(file).size).toBe(desc.size);
    return file;
  };
  const manifest = json(blob(d));
  expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
  const config = json(blob(manifest.config));
  expect(config).toMatchObject({ os: 'linux', architecture: 'arm64', rootfs: { type: 'layers' } });
  expect(config.rootfs.diff_ids).toEqual(manifest.layers.map((l: { digest: string }) => l.digest)); // plain tar layers
  expect(config.config.Env).toEqual(expect.arrayContaining([expect.stringMatching(/^PATH=/)]));
  expect(config.config.Labels['stalker.node']).toBe('app');
  for (const gone of ['stalker.run', 'stalker.pid', 'stalker.parent', 'stalker.key-parts']) expect(config.config.Labels).not.toHaveProperty(gone);
  expect(config).not.toHaveProperty('history');
  expect(
    Object.keys(config.config).every((k) => ['User', 'Env', 'Entrypoint', 'Cmd', 'WorkingDir', 'ExposedPorts', 'Volumes', 'StopSignal', 'Labels'].includes(k)),
  ).toBe(true);

  const root = join(out, 'root');
  mkdirSync(root);
  for (const l of manifest.layers) {
    expect(l.mediaType).toBe('application/vnd.oci.image.layer.v1.tar');
    execFileSync('tar', ['-xf', blob(l), '-C', root, '--exclude=dev/*']);
  }
  expect(existsSync(join(root, 'bin', 'busybox'))).toBe(true);
  expect(readFileSync(join(root, 'app', 'run'), 'utf8')).toMatch(/^#!\/bin\/sh\n.*exec \/bin\/busybox httpd -f -v -p "\$\{PORT:-80\}" -h \/www\n/s);
  expect(statSync(join(root, 'app', 'run')).mode & 0o111).toBeTruthy();
  expect(readFileSync(join(root, 'www', 'index.html'), 'utf8')).toBe('device-app on aarch64\n');

  if (spawnSync('skopeo', ['--version']).status === 0) {
    const inspect = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${dir}`], { encoding: 'utf8' }));
    expect(inspect).toMatchObject({ Digest: d.digest, Architecture: 'arm64', Os: 'linux' });
    expect(inspect.Layers).toEqual(manifest.layers.map((l: { digest: string }) => l.digest));
  }
}, 60_000);

test('--oci refuses a directory that is not empty (untouched) and goes with neither --output nor --docker', () => {
  const full = join(out, 'full');
  mkdirSync(full);
  writeFileSync(join(full, 'keep'), 'mine');
  const r = cli(['export', 'app', '--oci', full]);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/--oci .*full is not empty: name an empty or new directory/);
  expect(readdirSync(full)).toEqual(['keep']);
  const both = cli(['export', 'app', '--oci', join(out, 'x'), '--output', join(out, 'y')]);
  expect(both.status).toBe(2);
  expect(both.stderr.split('\n')[0]).toBe('stalker: --output and --oci: give one');
  expect(existsSync(join(out, 'x'))).toBe(false);
  const empty = join(out, 'empty');
  mkdirSync(empty);
  expect(cli(['export', 'app', '--oci', empty]).status).toBe(0);
  expect(existsSync(join(empty, 'index.json'))).toBe(true);
}, 60_000);
