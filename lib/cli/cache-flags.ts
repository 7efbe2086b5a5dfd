// The site a command builds with: the site file (--engines FILE, STALKER_ENGINES, or
// ~/.config/stalker/engines.hjson) and the buildx-like --cache-from REG / --cache-to REG, which
// override its `cache`. Without either, today's single engine (DOCKER_HOST) and no shared cache.
// A run writes to the registry only with push rights: --cache-to, or the site's cache.push with
// an engine whose push is not false (CI main writes, pull requests and laptops read).
import { parseRegistry } from '../cache/registry-address.js';
import type { SharedCacheOptions } from '../cache/shared-cache-options.js';
import { findSiteFile, loadSite, type SiteConfig, type SiteEngine } from '../config/load-site.js';
import type { Engine } from '../engine/engine-port.js';
import { openEngine, openSiteEngine } from '../engine/open-engine.js';
import type { BuildEngine, BuildSite } from '../run/build-engines.js';

export interface CacheFlags {
  'cache-from'?: string;
  'cache-to'?: string;
  engines?: string;
}

export interface Site {
  /** The engine of a command that talks to one (plan, prune, shell...): the site's first, else DOCKER_HOST's. */
  engine: Engine;
  /** The site file's first engine (undefined: no site file). */
  declared?: SiteEngine;
  /** Every engine of the site file, opened, for builds and plans routed over them. */
  site?: BuildSite;
  cache?: SharedCacheOptions;
}

export function openSite(flags: CacheFlags, env: NodeJS.ProcessEnv = process.env): Site {
  const file = findSiteFile(flags.engines, env);
  const config = file ? loadSite(file) : undefined;
  if (!config?.engines.length) return { engine: openEngine(env), cache: sharedCacheOf(flags, config) };
  const engines: BuildEngine[] = config.engines.map((e) => ({
    name: e.name,
    engine: openSiteEngine(e, env),
    platforms: e.platforms,
    emulates: e.emulates,
    push: e.push,
    ...(e.jobs ? { jobs: e.jobs } : {}),
    where: e.host ?? `${e.backend} store ${e.store ?? 'default'}`,
  }));
  // Push rights are the site's (cache.push, --cache-to) and then each engine's own (push: false).
  return { engine: engines[0].engine, declared: config.engines[0], site: { file: config.file, engines }, cache: sharedCacheOf(flags, config) };
}

export function sharedCacheOf(flags: CacheFlags, site?: SiteConfig, engine?: SiteEngine): SharedCacheOptions | undefined {
  const fromSite = site?.cache?.registry;
  const from = flags['cache-from'] ? parseRegistry(flags['cache-from'], '--cache-from') : fromSite;
  const siteTo = site?.cache?.push && (engine?.push ?? true) ? fromSite : undefined;
  const to = flags['cache-to'] ? parseRegistry(flags['cache-to'], '--cache-to') : siteTo;
  return from || to ? { ...(from ? { from } : {}), ...(to ? { to } : {}) } : undefined;
}
