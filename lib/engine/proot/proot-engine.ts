// The proot backend, for hosts where user namespaces are unavailable (Android/Termux, nested
// unprivileged containers): steps run under `proot -0` (ptrace; fakes root), images in the same
// OCI layout as the userns backend. Ownership is not kept: see README, "under proot".
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { ContainerClient, Engine, EngineDescription, EngineInfo } from '../engine-port.js';
import { EngineError } from '../../errors.js';
import { hostMachine, hostPlatforms } from '../host-platforms.js';
import { OciImages } from '../oci-store/oci-images.js';
import { OciLayout } from '../oci-store/oci-layout.js';
import { ProotContainers } from './proot-containers.js';

/** STALKER_PROOT names the binary (bin/setup may build a newer one); else proot on PATH. */
export const prootBinary = (env: NodeJS.ProcessEnv = process.env) => env.STALKER_PROOT || 'proot';

export class ProotEngine implements Engine {
  readonly kind = 'proot';
  readonly executor = 'proot';
  readonly seesHostPaths = true;
  readonly images: OciImages;
  readonly containers: ContainerClient;

  constructor(
    readonly dir: string,
    readonly proot = prootBinary(),
  ) {
    const layout = new OciLayout(join(dir, 'oci'));
    this.images = new OciImages(layout);
    this.containers = new ProotContainers(join(dir, 'proot'), this.images, proot);
    void layout.init().catch(() => {});
  }

  async ping(): Promise<string> {
    await this.images.layout.init();
    const r = spawnSync(this.proot, ['--version'], { encoding: 'utf8' });
    const v = /v(\d+\.\d+\.\d+)/.exec(r.stdout ?? '')?.[1];
    if (r.status !== 0 || !v) throw new EngineError('find', this.proot, r.error ?? 'proot --version gave no version');
    return `proot ${v} (${this.proot})${v < '5.4' ? ': older than 5.4, dpkg in a bookworm root fails (faccessat2)' : ''}`;
  }

  async info(): Promise<EngineInfo> {
    return { version: await this.ping(), rootDir: this.dir, storageDriver: 'plain directories (cp -a --reflink=auto)', architecture: hostMachine() };
  }

  async describe(): Promise<EngineDescription> {
    return { kind: this.kind, executor: this.executor, ...hostPlatforms(), seesHostPaths: true };
  }
}
