// `stalker doctor [--config T]` checks the host a build needs; `stalker binfmt [--config T] [ARCH...]`
// registers the qemu-user handlers for the tree's platforms (root needed).
import { openEngine } from '../engine/open-engine.js';
import { StalkerError } from '../errors.js';
import { emulatedArch, registerBinfmt } from '../inspect/binfmt.js';
import { formatChecks, realHost, runChecks } from '../inspect/doctor-checks.js';
import { loadProjectTrees } from '../inspect/project-trees.js';
import { openProject } from './project.js';

/** The platforms of the tree given, else of every tree in the project (cwd), else arm64. */
async function platformsOf(config: string | undefined): Promise<{ platforms: string[]; projectDir: string }> {
  if (config) {
    const p = await openProject(config);
    return { platforms: [p.tree.platform, ...[...p.tree.nodes.values()].map((n) => n.platform)], projectDir: p.root };
  }
  const root = process.cwd();
  const trees = await loadProjectTrees(root).catch(() => []);
  const platforms = trees.flatMap((t) => [t.platform, ...[...t.nodes.values()].map((n) => n.platform)]);
  return { platforms: platforms.length ? platforms : ['linux/arm64'], projectDir: root };
}

export async function doctorCommand(flags: { config?: string }): Promise<number> {
  const scope = await platformsOf(flags.config);
  const checks = await runChecks(realHost(openEngine()), scope);
  process.stdout.write(`${formatChecks(checks).join('\n')}\n`);
  return checks.some((c) => c.status === 'fail') ? 1 : 0;
}

export async function binfmtCommand(flags: { config?: string }, archs: string[]): Promise<number> {
  let wanted = archs;
  if (!wanted.length) {
    const { platforms } = await platformsOf(flags.config);
    wanted = [...new Set(platforms.map((p) => emulatedArch(p)).filter((a): a is string => !!a))];
  }
  if (!wanted.length) {
    process.stdout.write('every platform the tree uses runs natively here: nothing to register\n');
    return 0;
  }
  for (const a of wanted) if (!/^[a-z0-9_]+$/.test(a)) throw new StalkerError('USAGE', `not a qemu arch name: ${a} (e.g. aarch64, arm, riscv64)`);
  let failed = 0;
  for (const arch of wanted) {
    const r = registerBinfmt(arch);
    process.stdout.write(`${r.action === 'failed' ? 'FAIL' : 'ok  '} ${r.detail}\n`);
    if (r.action === 'failed') failed++;
  }
  return failed ? 1 : 0;
}
