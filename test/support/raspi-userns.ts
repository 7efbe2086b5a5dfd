// trees/raspi built by an ordinary user on the userns backend (no root, no daemon), shared by the
// rootless boot test and the bench: a work directory the user owns holding a project (trees/raspi
// copied, stalks/plugins/sysroot/dist/lib linked to this checkout), a fresh store and fresh named
// caches, so a build there is clean. RASPI_USERNS_KEEP=1 keeps the directory; RASPI_USERNS_REUSE=<it>
// reuses it (a cached rerun instead of a clean build) to iterate on what comes after the build.
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chownTo, type RootlessUser, stalkerAs, userDir } from './rootless-user.js';

// the checkout: jest and `npm run bench` (compiled, under dist/) both run from it
const ROOT = process.cwd();

export interface UserRaspi {
  work: string;
  project: string;
  tree: string;
  store: string;
  caches: string;
  image: string;
}

export function userRaspi(u: RootlessUser, reuse = process.env.RASPI_USERNS_REUSE): UserRaspi {
  const work = reuse || userDir(u);
  const project = join(work, 'project');
  const w = {
    work,
    project,
    tree: join(project, 'trees/raspi/raspi.hjson'),
    store: join(work, 'store'),
    caches: join(work, 'caches'),
    image: join(project, 'out/raspi.img'),
  };
  if (reuse) {
    if (!existsSync(w.tree)) throw new Error(`RASPI_USERNS_REUSE=${reuse}: not a directory kept by RASPI_USERNS_KEEP=1`);
    return w;
  }
  mkdirSync(join(project, 'trees/raspi'), { recursive: true });
  copyFileSync(join(ROOT, 'trees/raspi/raspi.hjson'), w.tree);
  for (const d of ['stalks', 'plugins', 'sysroot', 'dist', 'lib']) symlinkSync(join(ROOT, d), join(project, d));
  chownTo(u, project); // not through the links: the checkout stays root's, read-only to the user
  return w;
}

export interface UserBuild {
  seconds: number;
  summary: string;
  log: string;
}

/** Builds the tree as the user on the userns backend; throws with the output's tail on failure. */
export function buildRaspiAs(u: RootlessUser, w: UserRaspi): UserBuild {
  const started = Date.now();
  const r = stalkerAs(u, w.store, ['--config', w.tree, '--progress', 'plain'], { STALKER_CACHE_DIR: w.caches }, 90 * 60_000);
  const seconds = (Date.now() - started) / 1000;
  const log = join(w.work, `build-${started}.log`);
  writeFileSync(log, `${r.stdout}\n${r.stderr}`);
  if (r.status !== 0) {
    const tail = `${r.stdout}\n${r.stderr}`.split('\n').slice(-60).join('\n');
    throw new Error(`stalker --engine userns --config trees/raspi exited ${r.status} ${r.error ?? ''} (log: ${log})\n${tail}`);
  }
  return { seconds, summary: /^done in .*/m.exec(r.stdout)?.[0] ?? '', log };
}

/** A clean build's timing, kept beside the store (the bench may take it: same command, same clock). */
export const cleanTiming = (w: UserRaspi) => join(w.work, 'clean-build.json');
export const readCleanTiming = (w: UserRaspi): UserBuild | undefined =>
  existsSync(cleanTiming(w)) ? (JSON.parse(readFileSync(cleanTiming(w), 'utf8')) as UserBuild) : undefined;
