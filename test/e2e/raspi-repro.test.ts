// Issue 13, reproducible images through the real engine: the last nodes of trees/raspi built again
// (agents: the Sysdb seed through a real ovsdb-server under qemu-user; cleanup; the writer) write
// the same raspi.img, byte for byte. The rebuild is real: the agents step images are new commits
// (other image ids), made minutes after the first ones, with new random row UUIDs and a later wall
// clock inside ovsdb-server. What made them differ before: the seed's record dates, row UUIDs, audit
// time and the build host's name (now every step's host name is "stalker").
// Reuses every cached node before agents; ~3 min of emulated work beyond the cached build.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildRaspiImage, RASPI_IMAGE, RASPI_TREE, ROOT, run } from '../support/raspi-image.js';

const stalker = (...args: string[]) =>
  spawnSync(join(ROOT, 'bin/stalker'), [...args, '--config', RASPI_TREE], { cwd: ROOT, encoding: 'utf8', timeout: 30 * 60_000 });
const imageId = (ref: string) => run('docker', ['image', 'inspect', '--format', '{{.Id}}', ref]).trim();
const sysdbFile = (ref: string) =>
  run('docker', ['run', '--rm', '--platform', 'linux/arm64', '--entrypoint', 'sha256sum', ref, '/var/lib/sysdb/sysdb.db']).split(' ')[0];

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

test(
  'rebuilding agents, cleanup and the image writes the same raspi.img; the Sysdb file is the same bytes',
  () => {
    buildRaspiImage(join(ROOT, 'out/raspi-repro-build.log'));
    const before = { image: sha256(RASPI_IMAGE), agents: imageId('raspi/agents:final'), sysdb: sysdbFile('raspi/agents:final') };

    const r = stalker('--rebuild', 'agents', '--progress', 'plain');
    if (r.status !== 0) throw new Error(`--rebuild agents exited ${r.status}\n${r.stdout}\n${r.stderr}`);
    expect([...r.stdout.matchAll(/^(\S+) built /gm)].map((m) => m[1])).toEqual(['agents', 'cleanup', 'image']);
    expect(imageId('raspi/agents:final')).not.toBe(before.agents); // a new commit, not the old image again

    expect(sysdbFile('raspi/agents:final')).toBe(before.sysdb);
    expect(sha256(RASPI_IMAGE)).toBe(before.image);
  },
  40 * 60_000,
);
