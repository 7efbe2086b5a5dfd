// Reproducible clean builds of trees/raspi: two `--no-cache` builds (same day, same archive state)
// must write a bit-identical raspi.img. They run side by side, each in a throwaway project of its
// own (another directory, as two checkouts would be), with its own repository and its own empty
// apt cache. When the images differ, the node the writer writes is exported from both builds and
// compared file by file (content, mode, owner, link target; not mtimes, which the writer clamps
// to the tree's clock), and diffoscope reports on the two trees (out/repro/diffoscope.txt).
//
// Two clean builds at once: ~20-35 min on 2 cores, under the heavy lock. BENCH_ONLY=repro runs
// only this; REPRO_PART=builds or REPRO_PART=compare runs one half (out/repro/ keeps the builds;
// the compare removes their images unless REPRO_KEEP=1).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Hjson from 'hjson';
import tar from 'tar-stream';
import { timeCommand } from './timing.js';

const ROOT = process.cwd();
const STALKER = join(ROOT, 'bin', 'stalker');
const WORK = join(ROOT, 'out', 'repro');
const BUILDS = ['a', 'b'] as const;
type Build = (typeof BUILDS)[number];

const project = (b: Build) => join(WORK, b);
const treeFile = (b: Build) => join(project(b), 'trees', 'raspirepro', 'raspirepro.hjson');
const imageOf = (b: Build) => join(project(b), 'out', 'raspi.img');

function setUp(b: Build): void {
  rmSync(project(b), { recursive: true, force: true });
  mkdirSync(dirname(treeFile(b)), { recursive: true });
  for (const d of ['stalks', 'plugins', 'sysroot', 'dist', 'lib']) symlinkSync(join(ROOT, d), join(project(b), d));
  const tree = Hjson.parse(readFileSync(join(ROOT, 'trees/raspi/raspi.hjson'), 'utf8')) as { repository: string };
  tree.repository = `raspirepro-${b}`;
  writeFileSync(treeFile(b), JSON.stringify(tree, null, 2));
}

/** One clean build, its output in out/repro/<b>.log; resolves to its wall time in seconds. */
function build(b: Build): Promise<number> {
  setUp(b);
  const env = { ...process.env, STALKER_CACHE_DIR: join(project(b), 'caches') };
  const log = join(WORK, `${b}.log`);
  const started = Date.now();
  return new Promise((res, rej) => {
    const child = spawn('sh', ['-c', 'exec "$0" "$@" > "$LOG" 2>&1', STALKER, '--config', treeFile(b), '--no-cache', '--progress', 'plain'], {
      cwd: project(b),
      env: { ...env, LOG: log },
      stdio: 'ignore',
    });
    child.on('error', rej);
    child.on('exit', (code) => (code === 0 ? res((Date.now() - started) / 1000) : rej(new Error(`repro: clean build ${b} exited ${code} (log: ${log})`))));
  });
}

async function builds(): Promise<void> {
  const seconds = await Promise.all(BUILDS.map(build));
  BUILDS.forEach((b, i) => console.log(`repro: clean build ${b}: ${seconds[i]!.toFixed(0)} s (side by side)`));
}

function sha256(file: string): string {
  return spawnSync('sha256sum', [file], { encoding: 'utf8' }).stdout.split(' ')[0]!;
}

/** path -> "type mode uid:gid size sha256|linkname" for every entry of a tar (mtimes left out). */
async function manifest(tarFile: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const extract = tar.extract();
  extract.on('entry', (h, stream, next) => {
    const hash = createHash('sha256');
    stream.on('data', (c) => hash.update(c as Buffer));
    stream.on('end', () => {
      const what = h.type === 'file' ? hash.digest('hex') : (h.linkname ?? '');
      out.set(h.name.replace(/^\.?\//, ''), `${h.type} ${(h.mode ?? 0).toString(8)} ${h.uid}:${h.gid} ${h.size} ${what}`);
      next();
    });
    stream.resume();
  });
  await new Promise<void>((res, rej) => {
    extract.on('finish', res);
    extract.on('error', rej);
    createReadStream(tarFile).on('error', rej).pipe(extract);
  });
  return out;
}

/** The node the writer writes: the image node's parent, from the plan. */
function writerInput(): string {
  const r = spawnSync(STALKER, ['plan', '--config', treeFile('a')], { encoding: 'utf8', cwd: project('a') });
  const parent = /^\S+\s+from (\S+) · writer/m.exec(r.stdout)?.[1];
  if (!parent) throw new Error(`repro: no writer node in the plan:\n${r.stdout}`);
  return parent;
}

async function compare(): Promise<void> {
  const [a, b] = [imageOf('a'), imageOf('b')];
  if (!existsSync(a) || !existsSync(b)) throw new Error(`repro: run the builds first (missing ${existsSync(a) ? b : a})`);
  const same = spawnSync('cmp', ['-s', a, b]).status === 0;
  console.log(`repro: raspi.img ${same ? 'bit-identical' : 'DIFFERS'} (sha256 ${sha256(a).slice(0, 16)} vs ${sha256(b).slice(0, 16)})`);
  if (same) return;
  const bytes = spawnSync('sh', ['-c', 'cmp -l "$1" "$2" | wc -l', 'cmp', a, b], { encoding: 'utf8' }).stdout.trim();
  console.log(`repro: ${bytes} bytes differ`);
  // what the writer was given, file by file (mtimes left out: the writer clamps them)
  const node = writerInput();
  const tars = BUILDS.map((x) => join(WORK, `${x}-${node}.tar`));
  BUILDS.forEach((x, i) => timeCommand(STALKER, ['export', '--config', treeFile(x), node, '-o', tars[i]!], { cwd: project(x) }));
  const [ma, mb] = [await manifest(tars[0]!), await manifest(tars[1]!)];
  const paths = [...new Set([...ma.keys(), ...mb.keys()])].filter((p) => ma.get(p) !== mb.get(p)).sort();
  if (!paths.length) console.log(`repro: node ${node} has the same files in both builds: the difference is the writer's (file system metadata)`);
  else console.log(`repro: ${paths.length} paths of node ${node} (the writer's input) differ:`);
  for (const p of paths.slice(0, 60)) console.log(`  ${p}\n    a: ${ma.get(p) ?? '(absent)'}\n    b: ${mb.get(p) ?? '(absent)'}`);
  const report = join(WORK, 'diffoscope.txt');
  const d = spawnSync('diffoscope', ['--text', report, '--exclude-directory-metadata=recursive', '--max-report-size', '4000000', ...tars], {
    encoding: 'utf8',
    timeout: Number(process.env.REPRO_DIFFOSCOPE_MS ?? 30 * 60_000),
  });
  console.log(`repro: diffoscope on the two trees of node ${node} (exit ${d.status}): ${report}`);
  tars.forEach((t) => rmSync(t, { force: true }));
}

export async function run(): Promise<void> {
  if (process.env.BENCH_ONLY && process.env.BENCH_ONLY !== 'repro') return console.log('repro: not selected (BENCH_ONLY)');
  mkdirSync(WORK, { recursive: true });
  const part = process.env.REPRO_PART;
  if (!part || part === 'builds') await builds();
  if (!part || part === 'compare') {
    await compare();
    // the two builds' images (several GB); REPRO_KEEP=1 keeps them
    if (!process.env.REPRO_KEEP)
      spawnSync('sh', ['-c', `docker images --format '{{.Repository}}:{{.Tag}}' | grep '^raspirepro-[ab]/' | xargs -r docker rmi >/dev/null 2>&1`]);
  }
}
