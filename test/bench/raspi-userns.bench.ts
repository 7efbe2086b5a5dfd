// BENCH_ONLY=raspi-userns: trees/raspi built clean on the userns backend, as an ordinary user with
// no daemon, vs the same tree built clean on the Docker backend (as root), one after the other in
// one run. Both run the whole tree: mmdebstrap (unshare mode as the user, root mode for Docker),
// every node under qemu-user, the writer to raspi.img; both start from empty apt caches. The
// Docker build has a repository of its own and --no-cache, so the shared engine's raspi images
// (others' caches) are neither used nor touched; its images are removed afterwards. ~45 min.
// RASPI_USERNS_REUSE=<a directory the rootless raspi test kept> takes the userns figure from that
// test's clean build (the same helper, command and clock) instead of building again, and says so;
// RASPI_USERNS_KEEP=1 keeps this run's userns build for that test.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Hjson from 'hjson';
import { buildRaspiAs, cleanTiming, readCleanTiming, userRaspi } from '../support/raspi-userns.js';
import { rootlessUser } from '../support/rootless-user.js';
import { ratioLine, timeCommand } from './timing.js';

const ROOT = process.cwd();
const NAME = 'raspiusernsbench';
const DOCKER = '/usr/bin/docker';

/** trees/raspi under its own repository in a throwaway project; resolves the clean build's seconds. */
function dockerClean(): number {
  const project = mkdtempSync(join(tmpdir(), 'raspi-userns-bench-'));
  try {
    for (const d of ['stalks', 'plugins', 'sysroot', 'dist', 'lib']) symlinkSync(join(ROOT, d), join(project, d));
    const tree = Hjson.parse(readFileSync(join(ROOT, 'trees/raspi/raspi.hjson'), 'utf8')) as { repository: string };
    tree.repository = NAME;
    const file = join(project, 'trees', NAME, `${NAME}.hjson`);
    mkdirSync(join(project, 'trees', NAME), { recursive: true });
    writeFileSync(file, JSON.stringify(tree, null, 2));
    const env = { ...process.env, STALKER_ENGINE: 'docker', STALKER_CACHE_DIR: join(project, 'caches') };
    return timeCommand(join(ROOT, 'bin', 'stalker'), ['--config', file, '--no-cache', '--progress', 'plain'], { env });
  } finally {
    rmSync(project, { recursive: true, force: true });
    spawnSync('sh', ['-c', `${DOCKER} images --format '{{.Repository}}:{{.Tag}}' | grep '^${NAME}/' | xargs -r ${DOCKER} rmi >/dev/null 2>&1`]);
  }
}

export async function run(): Promise<void> {
  if (process.env.BENCH_ONLY && process.env.BENCH_ONLY !== 'raspi-userns') return console.log('raspi-userns: not selected (BENCH_ONLY)');
  const user = rootlessUser();
  const reuse = process.env.RASPI_USERNS_REUSE;
  let userns: number;
  if (reuse) {
    const t = readCleanTiming(userRaspi(user, reuse));
    if (!t) throw new Error(`RASPI_USERNS_REUSE=${reuse}: no clean-build.json (the kept directory of a clean build)`);
    userns = t.seconds;
    console.log(`raspi userns: the clean build's time from ${reuse} (an earlier run of the rootless raspi test), not from this run`);
  } else {
    const w = userRaspi(user, '');
    try {
      const b = buildRaspiAs(user, w);
      writeFileSync(cleanTiming(w), JSON.stringify(b));
      userns = b.seconds;
    } finally {
      if (process.env.RASPI_USERNS_KEEP) console.log(`raspi userns: kept ${w.work} (RASPI_USERNS_REUSE= for the rootless raspi test)`);
      else rmSync(w.work, { recursive: true, force: true });
    }
  }
  const docker = dockerClean();
  console.log(ratioLine('trees/raspi clean build on userns (as a user, no daemon)', userns, docker, 'the Docker backend', 1.2));
}
