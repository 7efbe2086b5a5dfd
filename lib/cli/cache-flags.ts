// The site a command builds with: the site file (--engines FILE, STALKER_ENGINES, or
// ~/.config/stalker/engines.hjson) and the buildx-like --cache-from REG / --cache-to REG, which
// override its `cache`. Without either, today's single engine (DOCKER_HOST) and no shared cache.
// A run writes to the registry only with push rights: --cache-to, or the site's cache.push with
// an engine whose push is not false (CI main writes, pull requests and laptops read).
import { parseRegistry } from '../cache/registry-address.js';
import type { SharedCacheOptions } from '../cache/shared-cache-options.js';
import { findSiteFile, loadSite, type SiteConfig, type SiteEngine } from '../config/load-site.js';
import type { Engine } from '../engine/engine-port.js';
import { openEngine } from '../engine/open-engine.js';
import { StalkerError } from '../errors.js';

export interface CacheFlags {
  'cache-from'?: string;
  'cache-to'?: string;
  engines?: string;
}

export interface Site {
  engine: Engine;
  /** The site file's engine the command talks to (undefined: DOCKER_HOST's, no site file). */
  declared?: SiteEngine;
  cache?: SharedCacheOptions;
}

export function openSite(flags: CacheFlags, env: NodeJS.ProcessEnv = process.env): Site {
  const file = findSiteFile(flags.engines, env);
  const site = file ? loadSite(file) : undefined;
  const declared = site ? oneEngine(site) : undefined;
  const engine = declared ? openEngine(env, declared.host) : openEngine(env);
  return { engine, ...(declared ? { declared } : {}), cache: sharedCacheOf(flags, site, declared) };
}

function oneEngine(site: SiteConfig): SiteEngine | undefined {
  if (site.engines.length > 1) {
    // Routing steps over several engines (issue 11, part 2) is not built yet: say so, never guess.
    throw new StalkerError(
      'USAGE',
      `${site.file}: ${site.engines.length} engines declared; this stalker builds on one (declare one engine, or none for DOCKER_HOST's)`,
    );
  }
  return site.engines[0];
}

export function sharedCacheOf(flags: CacheFlags, site?: SiteConfig, engine?: SiteEngine): SharedCacheOptions | undefined {
  const fromSite = site?.cache?.registry;
  const from = flags['cache-from'] ? parseRegistry(flags['cache-from'], '--cache-from') : fromSite;
  const siteTo = site?.cache?.push && (engine?.push ?? true) ? fromSite : undefined;
  const to = flags['cache-to'] ? parseRegistry(flags['cache-to'], '--cache-to') : siteTo;
  return from || to ? { ...(from ? { from } : {}), ...(to ? { to } : {}) } : undefined;
}
