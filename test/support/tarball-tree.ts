// hjson for a test tree whose root node is a busybox tarball, plus the given nodes.
import { expectOk, runBuild } from './build-harness.js';
import { busyboxRoot } from './busybox-root.js';
import { makeProject } from './project.js';

export function tarballTree(nodes: string, opts: { arch?: 'amd64' | 'arm64'; vars?: string; repository?: string } = {}): string {
  const root = busyboxRoot(opts.arch ?? 'amd64');
  const platform = opts.arch === 'arm64' ? 'linux/arm64' : 'linux/amd64';
  return `{
    repository: "${opts.repository ?? 'stalkertest'}"
    platform: "${platform}"
    vars: { ${opts.vars ?? ''} }
    stalks: {
      base: { bootstrap: { kind: "tarball", file: "${root.file}", sha256: "${root.sha256}" } }
      ${nodes}
    }
  }`;
}

/**
 * Imports the busybox root into the engine (a build of a tree holding only that root), so a test
 * that asserts on its own steps sees the shared root as cached, as on any engine that ran a test
 * before, and not as the first thing to run, as on a fresh engine.
 */
export async function importBusyboxRoot(arch: 'amd64' | 'arm64' = 'amd64'): Promise<void> {
  const name = `warm${arch}`;
  const project = makeProject(name, { [`trees/${name}/${name}.hjson`]: tarballTree('', { arch }) });
  try {
    expectOk(await runBuild(project));
  } finally {
    project.cleanup();
  }
}
