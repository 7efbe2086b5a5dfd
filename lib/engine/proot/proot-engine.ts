// The proot backend, for hosts where user namespaces are unavailable (Android/Termux, nested
// unprivileged containers): steps run under `proot -0` (ptrace; fakes root), images in the same
// OCI layout as the userns backend. Ownership is not kept: see README, "under proot".
import { join } from 'node:path';
import type { ContainerClient, Engine, EngineDescription, EngineInfo } from '../engine-port.js';
import { EngineError } from '../../errors.js';
import { hostMachine, hostPlatforms } from '../host-platforms.js';
import { OciImages } from '../oci-store/oci-images.js';
import { OciLayout } from '../oci-store/oci-layout.js';
import { prootBinary, prootRunsDpkg, prootVersion, STALKER_PROOT_DIR } from './proot-binary.js';
import { ProotContainers } from './proot-containers.js';

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
    const v = prootVersion(this.proot);
    if (!v) throw new EngineError('find', this.proot, 'it does not run (proot --version failed)');
    return `${v} (${this.proot})`;
  }

  async info(): Promise<EngineInfo> {
    const problems = prootRunsDpkg(this.proot)
      ? []
      : [
          {
            name: 'proot dpkg',
            detail: `${this.proot} cannot run dpkg: it does not translate faccessat2 (Debian bookworm's and trixie's proot 5.1.0), so a step installing packages in a Debian root fails`,
            fix: `run bin/setup as root (builds proot 5.4 from Debian's forky source into ${STALKER_PROOT_DIR}), or point STALKER_PROOT at a proot >= 5.4`,
          },
        ];
    return {
      version: await this.ping(),
      rootDir: this.dir,
      storageDriver: 'plain directories (cp -a --reflink=auto)',
      architecture: hostMachine(),
      problems,
    };
  }

  async describe(): Promise<EngineDescription> {
    return { kind: this.kind, executor: this.executor, ...hostPlatforms(), seesHostPaths: true };
  }
}
