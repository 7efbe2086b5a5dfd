// `stalker export NODE --docker`: an image of a rootless engine's OCI layout copied into the local
// Docker engine under the same name, by skopeo (Debian package, installed by bin/setup), which
// reads the layout and streams it to the daemon's image load.
import { spawn } from 'node:child_process';
import { StalkerError } from '../errors.js';

export interface DockerCopy {
  layout: string; // the OCI image layout directory
  ref: string; // <repository>/<node>:<tag>, its name in the layout and in Docker
  daemonHost?: string; // DOCKER_HOST, when set
}

/** skopeo's arguments: every value sits behind a transport prefix, so none can be an option. */
export function skopeoCopyArgs(c: DockerCopy): string[] {
  return ['copy', '--quiet', ...(c.daemonHost ? ['--dest-daemon-host', c.daemonHost] : []), `oci:${c.layout}:${c.ref}`, `docker-daemon:${c.ref}`];
}

export async function exportToDocker(c: DockerCopy, skopeo = 'skopeo'): Promise<void> {
  const child = spawn(skopeo, skopeoCopyArgs(c), { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number>((resolve, reject) =>
    child
      .on('error', (e) => reject(new StalkerError('ENGINE', `cannot run ${skopeo}: ${e.message} (apt-get install skopeo; bin/setup installs it)`)))
      .on('close', (n) => resolve(n ?? 1)),
  );
  if (code !== 0) throw new StalkerError('ENGINE', `skopeo could not copy ${c.ref} into Docker (exit ${code}): ${err.trim().split('\n').slice(-3).join('; ')}`);
}
