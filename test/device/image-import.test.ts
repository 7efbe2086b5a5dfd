import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { imageVerb } from '../../lib/device/cli/image-verb.js';
import { SysdbError } from '../../lib/device/errors.js';

type Entry = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link'; body?: string; linkname?: string; mode?: number };

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c) => chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries)
    pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, mode: e.mode ?? (e.type === 'directory' ? 0o755 : 0o644) }, e.body ?? '');
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'image-import-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function blob(dir: string, data: Buffer | string): { digest: string; size: number } {
  const buf = Buffer.from(data);
  const hex = createHash('sha256').update(buf).digest('hex');
  mkdirSync(path.join(dir, 'blobs/sha256'), { recursive: true });
  writeFileSync(path.join(dir, 'blobs/sha256', hex), buf);
  return { digest: `sha256:${hex}`, size: buf.length };
}

/** An OCI layout as docker save writes it: index.json -> image index -> manifest for linux/<arch>. */
async function layout(layers: Entry[][], arch = process.arch === 'x64' ? 'amd64' : process.arch): Promise<string> {
  const dir = mkdtempSync(path.join(tmp, 'layout-'));
  writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const descs = [];
  for (const [i, l] of layers.entries()) {
    const t = await tarOf(l);
    descs.push(
      i === 0
        ? { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...blob(dir, gzipSync(t)) }
        : { mediaType: 'application/vnd.oci.image.layer.v1.tar', ...blob(dir, t) },
    );
  }
  const config = blob(
    dir,
    JSON.stringify({ architecture: arch, os: 'linux', config: { Entrypoint: ['/bin/sh'], Cmd: ['-c', 'sleep 1000'], Env: ['PATH=/bin'], WorkingDir: '/srv' } }),
  );
  const manifest = blob(
    dir,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: descs,
    }),
  );
  const index = blob(
    dir,
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, platform: { os: 'linux', architecture: arch } },
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, platform: { os: 'unknown', architecture: 'unknown' } },
      ],
    }),
  );
  writeFileSync(
    path.join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', ...index }] }),
  );
  return dir;
}

const store = path.join(tmp, 'store');
const io = () => {
  const out: string[] = [];
  return { out, io: { out: (l: string) => out.push(l), err: (l: string) => out.push(l) } };
};
const none = async () => [] as string[];
const leftovers = () => (existsSync(store) ? readdirSync(store).filter((n) => n.startsWith('.')) : []);

const BASE: Entry[] = [
  { name: 'bin/', type: 'directory' },
  { name: 'bin/sh', body: '#!sh', mode: 0o755 },
  { name: 'etc/old', body: 'gone' },
  { name: 'var/cache/', type: 'directory' },
  { name: 'var/cache/a', body: 'a' },
  { name: 'var/cache/b', body: 'b' },
  { name: 'etc/hostname', body: 'x' },
];
const TOP: Entry[] = [
  { name: 'etc/.wh.old' },
  { name: 'var/cache/.wh..wh..opq' },
  { name: 'var/cache/c', body: 'c' },
  { name: 'usr/bin/sh', type: 'symlink', linkname: '/bin/sh' },
  { name: 'etc/hn', type: 'link', linkname: 'etc/hostname' },
];

it('imports two layers in order: whiteout, opaque directory, symlink kept as is, hard link; image.json from the config', async () => {
  const { out, io: o } = io();
  expect(await imageVerb(['import', await layout([BASE, TOP]), 'web'], o, none, store)).toBe(0);
  expect(out[0]).toMatch(/^imported web \(sha256:[0-9a-f]{64}\)$/);
  const root = path.join(store, 'web/rootfs');
  expect(readFileSync(path.join(root, 'bin/sh'), 'utf8')).toBe('#!sh');
  expect(lstatSync(path.join(root, 'bin/sh')).mode & 0o777).toBe(0o755);
  expect(existsSync(path.join(root, 'etc/old'))).toBe(false);
  expect(readdirSync(path.join(root, 'var/cache'))).toEqual(['c']);
  expect(readlinkSync(path.join(root, 'usr/bin/sh'))).toBe('/bin/sh');
  expect(lstatSync(path.join(root, 'etc/hn')).ino).toBe(lstatSync(path.join(root, 'etc/hostname')).ino);
  const image = JSON.parse(readFileSync(path.join(store, 'web/image.json'), 'utf8'));
  expect(image).toMatchObject({ name: 'web', Entrypoint: ['/bin/sh'], Cmd: ['-c', 'sleep 1000'], Env: ['PATH=/bin'], WorkingDir: '/srv' });
  const list = io();
  await imageVerb(['list'], list.io, none, store);
  expect(list.out.join('\n')).toMatch(/web +\/bin\/sh -c sleep 1000/);
  expect(leftovers()).toEqual([]);
});

it('refuses a corrupted blob, a ../ path, an absolute path and a write through a symlink, leaving nothing', async () => {
  const bad = await layout([BASE]);
  const layer = readdirSync(path.join(bad, 'blobs/sha256')).find((f) => readFileSync(path.join(bad, 'blobs/sha256', f))[0] === 0x1f)!;
  const file = path.join(bad, 'blobs/sha256', layer);
  const data = readFileSync(file);
  data[data.length - 5] ^= 0xff;
  writeFileSync(file, data);
  await expect(imageVerb(['import', bad, 'bad'], io().io, none, store)).rejects.toThrow(/blob sha256:[0-9a-f]+ is corrupt|layer sha256:/);
  const cases: [Entry[], RegExp][] = [
    [[{ name: '../evil', body: 'x' }], /path "..\/evil" refused: it contains ".."/],
    [[{ name: '/etc/evil', body: 'x' }], /absolute path/],
    [
      [
        { name: 'out', type: 'symlink', linkname: '/tmp' },
        { name: 'out/evil', body: 'x' },
      ],
      /goes through the symlink out: refused/,
    ],
    [[{ name: 'hl', type: 'link', linkname: '../../etc/passwd' }], /hard link hl -> ..\/..\/etc\/passwd/],
  ];
  for (const [entries, why] of cases) await expect(imageVerb(['import', await layout([entries]), 'bad'], io().io, none, store)).rejects.toThrow(why);
  expect(existsSync(path.join(store, 'bad'))).toBe(false);
  expect(leftovers()).toEqual([]);
});

it('replaces an image only when no running container uses it; rm likewise; names are checked', async () => {
  const dir = await layout([BASE]);
  await imageVerb(['import', dir, 'app'], io().io, none, store);
  const busy = async () => ['web1'];
  await expect(imageVerb(['import', dir, 'app'], io().io, busy, store)).rejects.toThrow('image app is used by running container web1: stop it first');
  await expect(imageVerb(['rm', 'app'], io().io, busy, store)).rejects.toThrow(SysdbError);
  expect(await imageVerb(['import', dir, 'app'], io().io, none, store)).toBe(0);
  expect(await imageVerb(['rm', 'app'], io().io, none, store)).toBe(0);
  expect(existsSync(path.join(store, 'app'))).toBe(false);
  await expect(imageVerb(['import', dir, '../x'], io().io, none, store)).rejects.toThrow(/image name "..\/x" rejected/);
});
