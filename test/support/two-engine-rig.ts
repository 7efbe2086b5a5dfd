// The shared-cache and several-engine tests' real parts: Debian's docker-registry and a second
// dockerd, both on loopback/unix sockets, started together and stopped together.
import { parseRegistry, type RegistryAddress } from '../../lib/cache/registry-address.js';
import { removeTreeArtifacts } from './build-harness.js';
import type { TestProject } from './project.js';
import { type RegistryServer, startRegistry } from './registry-server.js';
import { type SecondEngine, startDockerd } from './second-dockerd.js';

export interface TwoEngineRig {
  registry: RegistryServer;
  reg: RegistryAddress; // the registry's `stalker/<namespace>` repository
  b: SecondEngine;
}

export async function startRig(namespace: string, engineName: string): Promise<TwoEngineRig> {
  const registry = await startRegistry();
  try {
    const b = await startDockerd(engineName);
    return { registry, reg: parseRegistry(`${registry.host}/stalker/${namespace}`, 'test'), b };
  } catch (err) {
    await registry.cleanup();
    throw err;
  }
}

/** Each part even if another fails: a registry left running keeps jest from exiting. */
export async function stopRig(rig: Partial<TwoEngineRig>, tree: string, project?: TestProject): Promise<void> {
  const results = await Promise.allSettled([rig.b?.cleanup(), rig.registry?.cleanup(), removeTreeArtifacts(tree)]);
  project?.cleanup();
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}
