// Overlay's deletion records and OCI's, translated both ways through real tar streams.
import { Readable } from 'node:stream';
import { extract, type Header, pack } from 'tar-stream';
import { layerToLower, upperToLayer } from '../../lib/engine/userns/overlay-whiteouts.js';

type Entry = Partial<Header> & { name: string; pax?: Record<string, string> };

function tarOf(entries: Entry[]): Readable {
  const p = pack();
  for (const e of entries) {
    if (e.type === 'file') p.entry(e as Header, 'x'.repeat(e.size ?? 0));
    else p.entry(e as Header, '');
  }
  p.finalize();
  return p as unknown as Readable;
}

async function entries(tar: Readable): Promise<Entry[]> {
  const out: Entry[] = [];
  const x = extract();
  x.on('entry', (h, body, next) => {
    out.push({ name: h.name, type: h.type, uid: h.uid, devmajor: h.devmajor, mode: h.mode, pax: h.pax as Record<string, string> });
    body.resume();
    body.on('end', next);
  });
  const done = new Promise<void>((resolve, reject) => x.on('finish', () => resolve()).on('error', reject));
  tar.pipe(x);
  await done;
  return out;
}

test('an upper dir: 0/0 devices become .wh. files, opaque dirs get .wh..wh..opq, overlay xattrs and mount stand-ins go', async () => {
  const upper = tarOf([
    { name: './', type: 'directory', pax: { 'SCHILY.xattr.user.overlay.impure': 'y' } },
    { name: './srv/', type: 'directory', mode: 0o755 },
    { name: './srv/gone', type: 'character-device', devmajor: 0, devminor: 0, mode: 0 },
    { name: './dev/', type: 'directory', mode: 0o755 },
    { name: './dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
    { name: './opt/box/', type: 'directory', mode: 0o700, pax: { 'SCHILY.xattr.user.overlay.opaque': 'y', 'SCHILY.xattr.user.note': 'kept' } },
    { name: './opt/box/f', type: 'file', uid: 1000, size: 1, mode: 0o644 },
    { name: './run/stalker/', type: 'directory', mode: 0o755 },
  ]);
  const out = await entries(upperToLayer(upper, new Set(['/run/stalker'])));
  expect(out.map((e) => e.name)).toEqual(['srv/', 'srv/.wh.gone', 'dev/', 'dev/null', 'opt/box/', 'opt/box/.wh..wh..opq', 'opt/box/f']);
  expect(out.find((e) => e.name === 'dev/null')).toMatchObject({ type: 'character-device', devmajor: 1 });
  const box = out.find((e) => e.name === 'opt/box/')?.pax ?? {};
  expect(box['SCHILY.xattr.user.note']).toBe('kept');
  expect(Object.keys(box).filter((k) => k.includes('overlay'))).toEqual([]);
  expect(out.find((e) => e.name === 'opt/box/f')).toMatchObject({ uid: 1000 });
});

test('an OCI layer: .wh. files become 0/0 devices, .wh..wh..opq the opaque xattr on its directory', async () => {
  const layer = tarOf([
    { name: 'srv/', type: 'directory', mode: 0o750 },
    { name: 'srv/.wh.gone', type: 'file', size: 0 },
    { name: 'opt/box/', type: 'directory', mode: 0o700 },
    { name: 'opt/box/.wh..wh..opq', type: 'file', size: 0 },
    { name: 'opt/box/f', type: 'file', size: 1 },
  ]);
  const out = await entries(layerToLower(layer));
  expect(out.map((e) => `${e.name} ${e.type}`)).toEqual([
    'srv/ directory',
    'srv/gone character-device',
    'opt/box/ directory',
    'opt/box/ directory',
    'opt/box/f file',
  ]);
  const opaque = out.filter((e) => e.name === 'opt/box/')[1];
  expect(opaque.pax?.['SCHILY.xattr.user.overlay.opaque']).toBe('y');
  expect(opaque.mode).toBe(0o700); // the directory's own mode, not a default
});

test('device nodes of a root tarball are left out of a lower dir: a user namespace cannot make them', async () => {
  const out = await entries(
    layerToLower(
      tarOf([
        { name: 'dev/', type: 'directory', mode: 0o755 },
        { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
        { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o660 },
        { name: 'dev/keep', type: 'file', size: 1 },
      ]),
    ),
  );
  expect(out.map((e) => e.name)).toEqual(['dev/', 'dev/keep']);
});
