// The shared step cache a run uses, from --cache-from/--cache-to or the site file's `cache`.
import type { RegistryAddress } from './registry-address.js';

export interface SharedCacheOptions {
  from?: RegistryAddress; // hits are read from here
  to?: RegistryAddress; // step images are pushed here (only runs with push rights set it)
}
