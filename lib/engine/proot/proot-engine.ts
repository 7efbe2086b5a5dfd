// The proot backend, for hosts where user namespaces are unavailable (Android/Termux, nested
// unprivileged containers): steps run under `proot -0` (ptrace; fakes root), images in the same
// OCI layout as the userns backend. Owners: see root-owners.ts and README, "under proot".
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
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

  /**
   * The image writer's root: Debian's fakeroot, which fakes the owners and device nodes that tar
   * extracts and reports them to mkfs.ext4 -d (host programs: its LD_PRELOAD reaches them).
   */
  async asRoot(cmd: string[], input: Readable, read: (stdout: Readable) => Promise<void>): Promise<number> {
    const child = spawn('fakeroot', ['--', ...cmd], { stdio: ['pipe', 'pipe', 'inherit'] });
    const started = new Promise<number>((resolve, reject) =>
      child
        .on('error', (err) => reject(new EngineError('run', 'fakeroot', `${err.message} (apt-get install fakeroot; bin/setup installs it)`)))
        .on('close', (code) => resolve(code ?? 1)),
    );
    input.on('error', () => child.kill('SIGKILL'));
    child.stdin.on('error', () => {}); // a child that exits early: its exit code says why
    input.pipe(child.stdin);
    const [code] = await Promise.all([started, read(child.stdout)]);
    return code;
  }

  async describe(): Promise<EngineDescription> {
    return { kind: this.kind, executor: this.executor, ...hostPlatforms(), seesHostPaths: true };
  }
}
