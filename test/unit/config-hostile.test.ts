// Hostile inputs a new user meets: unreadable files, special files, broken links, schema errors
// next to other problems, binary bytes. Each must be a positioned problem, never a stack or a hang.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { hashCacheFile } from '../../lib/config/file-hash-cache.js';
import { loadTree } from '../../lib/config/load-tree.js';
import { clearHashMemo } from '../../lib/config/content-hash.js';
import { problemLines } from '../support/load-problems.js';
import { makeProject, type TestProject } from '../support/project.js';

const IMAGE = `bootstrap: { kind: "image", ref: "sha256:${'0'.repeat(64)}" }`;
const TREE = `{\n  stalks: {\n    base: { ${IMAGE}, stalk: "s" }\n  }\n}\n`;

let p: TestProject;
afterEach(() => {
  p?.cleanup();
  clearHashMemo();
});

function project(stalk: string, files: Record<string, string> = {}, tree = TREE): TestProject {
  p = makeProject('t', { 'trees/t/t.hjson': tree, 'stalks/s/s.hjson': stalk, ...files });
  return p;
}
const load = () => problemLines(p.tree, p.root);

/** Loads as an unprivileged user: root reads anything, so EACCES is only seen without it. */
async function loadAsNobody(): Promise<string[]> {
  if (process.getuid?.() !== 0) return load();
  chmodSync(p.root, 0o755);
  process.setegid?.(65534);
  process.seteuid?.(65534);
  let pending: Promise<string[]>;
  try {
    pending = load(); // loadTree does its file system work before its first await
  } finally {
    process.seteuid?.(0);
    process.setegid?.(0);
  }
  return pending;
}

describe('unreadable inputs are problems at the line naming them', () => {
  test('a script, a template and a plugin without read permission', async () => {
    project(
      `{\n  vars: { a: "1" }\n  files: [ { src: "conf.tmpl", dest: "/etc/conf" } ]\n  steps: [\n    { name: "one", script: "run.sh" }\n    { name: "two", plugin: "p.sh" }\n  ]\n}\n`,
      {
        'stalks/s/run.sh': '#!/bin/sh\n',
        'stalks/s/conf.tmpl': '{{ a }}\n',
        'plugins/p.sh': '#!/bin/sh\n',
      },
    );
    for (const f of ['stalks/s/run.sh', 'stalks/s/conf.tmpl', 'plugins/p.sh']) chmodSync(join(p.root, f), 0o000);
    expect(await loadAsNobody()).toEqual([
      `stalks/s/s.hjson:3:14: file: stalks/s/conf.tmpl: permission denied`,
      `stalks/s/s.hjson:5:20: step "one": script file: stalks/s/run.sh: permission denied`,
      `stalks/s/s.hjson:6:20: step "two": plugin file: plugins/p.sh: permission denied`,
    ]);
  });

  test('an unreadable directory inside a mounted directory', async () => {
    project(`{\n  mounts: [ { src: "data", dest: "/data" } ]\n  steps: [ { name: "one", run: "true" } ]\n}\n`, { 'stalks/s/data/ok.txt': 'x' });
    mkdirSync(join(p.root, 'stalks/s/data/secret'), { mode: 0o000 });
    expect(await loadAsNobody()).toEqual([`stalks/s/s.hjson:2:15: mount source: stalks/s/data/secret (under stalks/s/data): permission denied`]);
  });
});

describe('special files are described, never read', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

  test('mount sources that are a FIFO, a character device or a socket', async () => {
    project(
      `{\n  mounts: [\n    { src: "fifo", dest: "/a" }\n    { src: "/dev/zero", dest: "/b" }\n    { src: "sock", dest: "/c" }\n  ]\n  steps: [ { name: "one", run: "true" } ]\n}\n`,
    );
    execFileSync('mkfifo', [join(p.root, 'stalks/s/fifo')]);
    server = createServer();
    await new Promise<void>((done) => server!.listen(join(p.root, 'stalks/s/sock'), done));
    const why = 'only regular files and directories can be mounted (their content is part of the cache key)';
    expect(await load()).toEqual([
      `stalks/s/s.hjson:3:7: mount source: stalks/s/fifo is a FIFO (named pipe): ${why}`,
      `stalks/s/s.hjson:4:7: mount source: /dev/zero is a character device: ${why}`,
      `stalks/s/s.hjson:5:7: mount source: stalks/s/sock is a socket: ${why}`,
    ]);
  });

  test('a script that is a directory, a FIFO or a symlink loop is not "not found"', async () => {
    project(
      `{\n  steps: [\n    { name: "a", script: "dir" }\n    { name: "b", script: "fifo" }\n    { name: "c", script: "loop" }\n    { name: "d", script: "gone" }\n  ]\n}\n`,
    );
    mkdirSync(join(p.root, 'stalks/s/dir'));
    execFileSync('mkfifo', [join(p.root, 'stalks/s/fifo')]);
    symlinkSync('loop', join(p.root, 'stalks/s/loop'));
    expect(await load()).toEqual([
      `stalks/s/s.hjson:3:18: step "a": script file: stalks/s/dir is a directory, not a regular file`,
      `stalks/s/s.hjson:4:18: step "b": script file: stalks/s/fifo is a FIFO (named pipe), not a regular file`,
      `stalks/s/s.hjson:5:18: step "c": script file: stalks/s/loop: too many levels of symbolic links (a symlink loop)`,
      `stalks/s/s.hjson:6:18: step "d": script file not found: stalks/s/gone`,
    ]);
  });

  test('a dangling symlink under sysroot/ is reported at its path; the rest still loads', async () => {
    project(`{ steps: [ { name: "one", run: "true" } ] }\n`, { 'sysroot/etc/ok.conf': 'x' });
    symlinkSync('/nonexistent/target', join(p.root, 'sysroot/etc/broken'));
    expect(await load()).toEqual([`sysroot/etc/broken:1:1: sysroot: sysroot/etc/broken is a dangling symbolic link (to /nonexistent/target)`]);
  });
});

test('a stalk with a schema error still has its scripts, files, mounts and vars checked', async () => {
  project(
    `{\n  descripton: "typo"\n  env: { X: "{{ nope }}" }\n  files: [ { src: "gone.txt", dest: "/x" } ]\n  mounts: [ { src: "nodir", dest: "/m" } ]\n  steps: [ { name: "one", script: "absent.sh" } ]\n}\n`,
  );
  expect(await load()).toEqual([
    'stalks/s/s.hjson:2:3: unknown key "descripton" (did you mean "description"?)',
    'stalks/s/s.hjson:3:14: env.X: undefined variable "nope" (declare it in this stalk\'s vars)',
    `stalks/s/s.hjson:4:14: file not found: stalks/s/gone.txt`,
    `stalks/s/s.hjson:5:15: mount source not found: stalks/s/nodir`,
    `stalks/s/s.hjson:6:27: step "one": script file not found: stalks/s/absent.sh`,
  ]);
});

test('a duplicate in needs does not hide the cycle it makes', async () => {
  project(
    `{ steps: [ { name: "one", run: "true" } ] }\n`,
    {},
    `{\n  stalks: {\n    base: { ${IMAGE} }\n    a: { from: "base", stalk: "s", needs: ["a", "a"] }\n  }\n}\n`,
  );
  expect(await load()).toEqual([
    'trees/t/t.hjson:4:5: dependency cycle: a -> a',
    'trees/t/t.hjson:4:36: stalks.a.needs: must NOT have duplicate items (items ## 1 and 0 are identical)',
  ]);
});

describe('bootstraps are checked against the node and their pins at load', () => {
  test('a debootstrap arch unlike the platform', async () => {
    project(
      `{ steps: [ { name: "one", run: "true" } ] }\n`,
      {},
      `{\n  platform: "linux/arm64"\n  stalks: {\n    base: { bootstrap: { kind: "debootstrap", suite: "bookworm", arch: "amd64" } }\n  }\n}\n`,
    );
    expect(await load()).toEqual([
      'trees/t/t.hjson:4:66: node "base": arch "amd64" does not match platform linux/arm64 (Debian arch arm64): set platform, or drop arch',
    ]);
  });

  test("a debootstrap root takes its stalk's SOURCE_DATE_EPOCH (mmdebstrap's reproducible mode); one that is not seconds is refused", async () => {
    const tree = (epoch: string) =>
      `{\n  platform: "linux/arm64"\n  vars: { epoch: "${epoch}" }\n  stalks: {\n    base: { stalk: "s", bootstrap: { kind: "debootstrap", suite: "trixie" } }\n  }\n}\n`;
    const stalk = `{ vars: { epoch: null }, env: { SOURCE_DATE_EPOCH: "{{ epoch }}" }, steps: [ { name: "one", run: "true" } ] }\n`;
    project(stalk, {}, tree('1795219200'));
    const loaded = await loadTree(p.tree, { root: p.root });
    expect(loaded.nodes.get('base')!.bootstrap).toMatchObject({ kind: 'debootstrap', sourceDateEpoch: '1795219200' });
    project(stalk, {}, tree('--today'));
    expect(await load()).toEqual(['trees/t/t.hjson:5:13: node "base": SOURCE_DATE_EPOCH "--today" is not a whole number of seconds since 1970']);
  });

  test('a tarball whose sha256 is not the pinned one; the hash is cached by path, size, mtime, ctime and inode', async () => {
    const pin = 'a'.repeat(64);
    project(
      `{ steps: [ { name: "one", run: "true" } ] }\n`,
      { 'trees/t/root.tar': 'not really a tar' },
      `{\n  stalks: {\n    base: { bootstrap: { kind: "tarball", file: "root.tar", sha256: "${pin}" } }\n  }\n}\n`,
    );
    const file = join(p.root, 'trees/t/root.tar');
    utimesSync(file, 1_700_000_000, 1_700_000_000); // whole seconds: an mtime that can be put back exactly
    const actual = createHash('sha256').update('not really a tar').digest('hex');
    expect(await load()).toEqual([`trees/t/t.hjson:3:61: node "base": tarball trees/t/root.tar has sha256 ${actual}, not the pinned ${pin}`]);
    // a cache entry for the same file (size, mtime, ctime, inode) is trusted: nothing rereads it
    const cache = JSON.parse(readFileSync(hashCacheFile(p.root), 'utf8'));
    const st = statSync(file);
    expect(cache[file]).toMatchObject({ size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino });
    writeFileSync(hashCacheFile(p.root), JSON.stringify({ [file]: { ...cache[file], sha256: pin } }));
    expect(await load()).toEqual([]);
    // new bytes of the same size with the old mtime put back (touch -r, cp -p, tar): ctime tells
    writeFileSync(file, 'not really a taR');
    utimesSync(file, 1_700_000_000, 1_700_000_000);
    expect(statSync(file).mtimeMs).toBe(st.mtimeMs);
    const changed = createHash('sha256').update('not really a taR').digest('hex');
    expect(await load()).toEqual([expect.stringContaining(`has sha256 ${changed}, not the pinned`)]);
    writeFileSync(file, 'not really a tar');
    // a new mtime is a new file: hashed again, and the real hash is not the pin
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(await load()).toEqual([expect.stringContaining(`has sha256 ${actual}, not the pinned`)]);
  });
});

test("a node with a schema problem still has its stalk's problems reported in the same run", async () => {
  project(
    `{ steps: [ { name: "one", script: "absent.sh" } ] }\n`,
    {},
    `{\n  stalks: {\n    base: { ${IMAGE} }\n    a: { from: "base", stalk: "s", needs: "base" }\n  }\n}\n`,
  );
  expect(await load()).toEqual([
    'stalks/s/s.hjson:1:27: step "one": script file not found: stalks/s/absent.sh',
    'trees/t/t.hjson:4:36: stalks.a.needs: must be array, got string',
  ]);
});
