// The proot backend, for hosts where user namespaces are unavailable (Android/Termux, nested
// unprivileged containers): steps run under `proot -0` (ptrace; fakes root), images in the same
// OCI layout as the userns backend. Ownership is not kept: see README, "under proot".
import { join } from 'node:path';
import type { ContainerClient, Engine, EngineDescription, EngineInfo } from '../engine-port.js';
import { EngineError } from '../../errors.js';
import { hostMachine, hostPlatforms } from '../host-platforms.js';
import { OciImages } from '../oci-store/oci-images.js';
import { OciLayout } from '../oci-store/oci-layout.js';
import { prootBinary, prootKeepsOwners, prootRunsDpkg, prootVersion, STALKER_PROOT_DIR } from './proot-binary.js';
import { ProotContainers } from './proot-containers.js';

export class ProotEngine implements Engine {
  readonly kind = 'proot';
  readonly executor = 'proot';
  readonly seesHostPaths = true;
  readonly images: OciImages;
  readonly containers: ContainerClient;
  readonly ociLayout: string;

  constructor(
    readonly dir: string,
    readonly proot = prootBinary(),
  ) {
    this.ociLayout = join(dir, 'oci');
    const layout = new OciLayout(this.ociLayout);
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
    const fix = `run bin/setup as root (builds Debian's proot 5.4 with stalker's patch into ${STALKER_PROOT_DIR}), or unset STALKER_PROOT`;
    const problems = [];
    if (!prootRunsDpkg(this.proot))
      problems.push({
        name: 'proot dpkg',
        detail: `${this.proot} cannot run dpkg: it does not translate faccessat2 (Debian bookworm's and trixie's proot 5.1.0), so a step installing packages in a Debian root fails`,
        fix,
      });
    if (!prootKeepsOwners(this.proot))
      problems.push({
        name: 'proot owners',
        detail: `${this.proot} forgets the owners a step gives with chown (no STALKER_PROOT_OWNERS log): every file would be committed as root's`,
        fix,
      });
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
