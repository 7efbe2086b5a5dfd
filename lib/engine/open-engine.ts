// The composition root: the one place that decides which engine a command talks to. Commands and
// the runners only see the Engine port, so another backend plugs in here and nowhere else.
import { StalkerError } from '../errors.js';
import { DockerEngine } from './docker-engine.js';
import type { Engine } from './engine-port.js';
import { ProotEngine } from './proot/proot-engine.js';
import { UsernsEngine } from './userns/userns-engine.js';
import { storeDir } from './userns/userns-store.js';

/**
 * STALKER_ENGINE (or --engine) picks the backend: docker, the default (DOCKER_HOST points it at a
 * remote daemon), userns or proot (rootless, daemonless; images in STALKER_STORE, --store). STALKER_HOST_PATHS=0 makes a local engine take step inputs as archives and volumes,
 * and the writer export containers, as an engine that cannot see this machine's files must.
 */
export function openEngine(env: NodeJS.ProcessEnv = process.env, host?: string, backend?: string): Engine {
  const kind = backend ?? env.STALKER_ENGINE ?? 'docker';
  switch (kind) {
    case 'docker':
      // `host`: a DOCKER_HOST-style address of another daemon (a test's second engine, a site file's).
      return new DockerEngine(undefined, { hostPaths: env.STALKER_HOST_PATHS !== '0', ...(host ? { host } : {}) });
    case 'userns': {
      const engine = new UsernsEngine(storeDir(env));
      if (engine.warning) process.stderr.write(`warning: ${engine.warning}\n`);
      return engine;
    }
    case 'proot':
      return new ProotEngine(storeDir(env));
    default:
      throw new StalkerError('USAGE', `STALKER_ENGINE=${kind}: unknown engine (known: docker, userns, proot)`);
  }
}

/** A site file's engine: its backend, at its host (docker) or on its store (userns, proot). */
export function openSiteEngine(e: { backend: string; host?: string; store?: string }, env: NodeJS.ProcessEnv = process.env): Engine {
  return openEngine(e.store ? { ...env, STALKER_STORE: e.store } : env, e.host, e.backend);
}
