// Translation between overlayfs's way of recording deletions and OCI layers': overlay marks a
// deleted path with a 0/0 character device and a replaced directory with the opaque xattr
// (user.overlay.opaque=y when mounted with userxattr, as in a user namespace); an OCI layer says
// the same with `.wh.NAME` and `.wh..wh..opq` files. Both directions stream through tar-stream.
import { Readable } from 'node:stream';
import { extract, type Header as Header0, pack } from 'tar-stream';

type Headers = Partial<Omit<Header0, 'pax'>> & { name: string; pax?: Record<string, string> };
const XATTR = 'SCHILY.xattr.';
const OPAQUE = `${XATTR}user.overlay.opaque`;
const WH = '.wh.';
const OPQ = '.wh..wh..opq';

type Rewrite = (h: Headers) => Headers[]; // entries to emit for one header (the body goes with the first)

function retar(input: Readable, rewrite: Rewrite): Readable {
  const x = extract();
  const p = pack();
  x.on('entry', (h0, body, next) => {
    const h = h0 as unknown as Headers;
    const out = rewrite(h);
    if (!out.length) {
      body.resume();
      body.on('end', next);
      return;
    }
    const [first, ...rest] = out;
    const sink = p.entry(first as Header0, (err) => {
      if (err) {
        x.destroy(err);
        return;
      }
      for (const r of rest) p.entry(r as Header0, Buffer.alloc(0)); // with content: never waits for a write
      next();
    });
    body.pipe(sink);
  });
  x.on('finish', () => p.finalize());
  x.on('error', (err) => p.destroy(err));
  input.on('error', (err) => x.destroy(err));
  input.pipe(x);
  return p as unknown as Readable;
}

/** Only xattrs that mean something outside overlay; times come from the plain header. */
function keptPax(h: Headers, drop: (key: string) => boolean): Record<string, string> | undefined {
  const pax: Record<string, string> = {};
  for (const [k, v] of Object.entries(h.pax ?? {}) as [string, string][]) if (k.startsWith(XATTR) && !drop(k)) pax[k] = v;
  return Object.keys(pax).length ? pax : undefined;
}

const clean = (name: string) => name.replace(/^\.\//, '').replace(/\/$/, '');
const join = (dir: string, base: string) => (dir ? `${dir}/${base}` : base);
const split = (name: string) => {
  const i = name.lastIndexOf('/');
  return i < 0 ? ['', name] : [name.slice(0, i), name.slice(i + 1)];
};

/** GNU tar (--xattrs) of an overlay upper dir -> an OCI layer. */
export function upperToLayer(upperTar: Readable, skip: Set<string> = new Set()): Readable {
  return retar(upperTar, (h) => {
    const name = clean(h.name);
    if (!name || skip.has(`/${name}`)) return [];
    const pax = keptPax(h, (k) => k.startsWith(`${XATTR}user.overlay.`));
    const base: Headers = { ...h, name: h.type === 'directory' ? `${name}/` : name, pax };
    if (h.type === 'character-device' && !h.devmajor && !h.devminor) {
      const [dir, file] = split(name);
      return [{ name: join(dir, WH + file), type: 'file', size: 0, mode: 0o644, uid: 0, gid: 0, mtime: h.mtime }];
    }
    if (h.type === 'directory' && h.pax?.[OPAQUE] === 'y') {
      return [base, { name: join(name, OPQ), type: 'file', size: 0, mode: 0o644, uid: 0, gid: 0, mtime: h.mtime }];
    }
    return [base];
  });
}

/** An OCI layer -> a tar GNU tar extracts (--xattrs, as root of the namespace) into a lower dir. */
export function layerToLower(layer: Readable): Readable {
  const dirs = new Map<string, Headers>(); // an opaque marker re-emits its directory's own header
  return retar(layer, (h) => {
    const name = clean(h.name);
    if (!name) return [];
    const [dir, file] = split(name);
    const pax = keptPax(h, () => false);
    if (file === OPQ) {
      const d = dirs.get(dir) ?? { name: `${dir}/`, type: 'directory', mode: 0o755, mtime: h.mtime };
      return [{ ...d, pax: { ...(d.pax ?? {}), [OPAQUE]: 'y' } }];
    }
    // A user namespace cannot make device nodes (mknod is refused there); tar would fail on them.
    // /dev at run time is the host's, and a booted system's is devtmpfs.
    if (h.type === 'character-device' || h.type === 'block-device') return [];
    if (h.type === 'directory') dirs.set(name, { ...h, name: `${name}/`, pax });
    if (file.startsWith(WH)) return [{ name: join(dir, file.slice(WH.length)), type: 'character-device', devmajor: 0, devminor: 0, mode: 0, mtime: h.mtime }];
    return [{ ...h, name: h.type === 'directory' ? `${name}/` : name, pax }];
  });
}
