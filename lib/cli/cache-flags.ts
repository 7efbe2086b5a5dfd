// --cache-from REG / --cache-to REG (as buildx names them): the shared step cache of this run.
// A run without --cache-to never writes to the registry (pull requests read, CI main writes).
import { parseRegistry } from '../cache/registry-address.js';
import type { SharedCacheOptions } from '../cache/shared-cache-options.js';

export interface CacheFlags { 'cache-from'?: string; 'cache-to'?: string }

export function sharedCacheOf(flags: CacheFlags, site?: SharedCacheOptions): SharedCacheOptions | undefined {
  const from = flags['cache-from'] ? parseRegistry(flags['cache-from'], '--cache-from') : site?.from;
  const to = flags['cache-to'] ? parseRegistry(flags['cache-to'], '--cache-to') : site?.to;
  return from || to ? { ...(from ? { from } : {}), ...(to ? { to } : {}) } : undefined;
}
