// The site file: the engines and the shared cache a machine or team builds with. Validated like a
// tree (schema, then meaning), every problem positioned in the file. No file: today's one engine.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseRegistry, type RegistryAddress } from '../cache/registry-address.js';
import { StalkerError } from '../errors.js';
import { Problems } from './problems.js';
import { readHjson } from './read-hjson.js';
import { checkSchema } from './schema-check.js';

export type EngineBackend = 'docker' | 'userns' | 'proot';

export interface SiteEngine {
  name: string;
  backend: EngineBackend;
  host?: string; // DOCKER_HOST-style (docker)
  store?: string; // OCI store directory (userns, proot)
  platforms: string[];
  emulates: string[];
  jobs?: number;
  push: boolean;
}

export interface SiteConfig {
  file: string;
  engines: SiteEngine[];
  cache?: { registry: RegistryAddress; push: boolean };
}

/** --engines FILE, else STALKER_ENGINES, else ~/.config/stalker/engines.hjson if it exists. */
export function findSiteFile(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (flag) return flag;
  if (env.STALKER_ENGINES) return env.STALKER_ENGINES;
  const home = join(env.HOME ?? homedir(), '.config', 'stalker', 'engines.hjson');
  return existsSync(home) ? home : undefined;
}

interface RawSite {
  engines?: { name: string; engine?: EngineBackend; host?: string; store?: string; platforms?: string[]; emulates?: string[]; jobs?: number; push?: boolean }[];
  cache?: { registry: string; push?: boolean };
}

export function loadSite(file: string): SiteConfig {
  const problems = new Problems();
  const src = readHjson(file, problems);
  if (!src) return problems.throwIfAny() as never;
  if (checkSchema('site', src, problems).length) problems.throwIfAny();
  const raw = src.data as RawSite;
  const seen = new Map<string, number>();
  (raw.engines ?? []).forEach((e, i) => {
    if (seen.has(e.name)) problems.at(src, `/engines/${i}/name`, `engine name "${e.name}" used twice (first as engines[${seen.get(e.name)}])`, 'value');
    else seen.set(e.name, i);
    const backend = e.engine ?? 'docker';
    if (backend === 'docker' && !e.host) problems.at(src, `/engines/${i}`, `engine ${e.name}: a docker engine needs a host (unix://, tcp:// or ssh://)`);
    if (backend !== 'docker' && e.host)
      problems.at(src, `/engines/${i}/host`, `engine ${e.name}: a ${backend} engine is local and has no host (it takes store)`);
    if (backend === 'docker' && e.store) problems.at(src, `/engines/${i}/store`, `engine ${e.name}: store is for userns and proot engines`);
    // Keys include the executor: steps of one build on a docker and a rootless engine would never
    // share hits, and their images could not move between the two.
    const first = raw.engines![0].engine ?? 'docker';
    if (backend !== first)
      problems.at(src, `/engines/${i}/engine`, `engine ${e.name}: ${backend}, while engines[0] is ${first}: the engines of one site are of one kind`, 'value');
    for (const p of e.emulates ?? []) {
      if (e.platforms?.includes(p)) problems.at(src, `/engines/${i}/emulates`, `engine ${e.name}: ${p} is both native and emulated`, 'value');
    }
  });
  let registry: RegistryAddress | undefined;
  if (raw.cache) {
    try {
      registry = parseRegistry(raw.cache.registry, 'cache.registry');
    } catch (err) {
      problems.at(src, '/cache/registry', err instanceof StalkerError ? err.message : String(err), 'value');
    }
  }
  problems.throwIfAny();
  return {
    file,
    engines: (raw.engines ?? []).map((e) => ({
      name: e.name,
      backend: e.engine ?? 'docker',
      ...(e.host ? { host: e.host } : {}),
      ...(e.store ? { store: e.store } : {}),
      platforms: e.platforms ?? [],
      emulates: e.emulates ?? [],
      push: e.push ?? true,
      ...(e.jobs ? { jobs: e.jobs } : {}),
    })),
    ...(registry ? { cache: { registry, push: raw.cache?.push ?? false } } : {}),
  };
}
