// Where a shared step cache lives: `HOST[:PORT]/NAMESPACE` (as --cache-from/--cache-to and the
// site file write it) is one repository of the registry; each step image is tagged with its key.
import { StalkerError } from '../errors.js';

export interface RegistryAddress {
  /** host[:port], as Docker writes it in an image reference. */
  host: string;
  /** The repository path inside the registry, e.g. team/stalker. */
  repository: string;
  /** http for loopback (Docker allows it there without configuration), else https. */
  scheme: 'http' | 'https';
}

export function parseRegistry(text: string, where: string): RegistryAddress {
  const explicit = /^(https?):\/\//.exec(text);
  const rest = explicit ? text.slice(explicit[0].length) : text;
  const slash = rest.indexOf('/');
  const host = slash > 0 ? rest.slice(0, slash) : '';
  const repository = slash > 0 ? rest.slice(slash + 1).replace(/\/+$/, '') : '';
  // Docker's reference grammar: lowercase path components of [a-z0-9._-], separated by slashes.
  if (!host || !/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(repository)) {
    throw new StalkerError('USAGE', `${where} ${text}: expected HOST[:PORT]/NAMESPACE, e.g. 127.0.0.1:5000/stalker`);
  }
  const loopback = /^(localhost|127\.[0-9.]+|\[::1\])(:\d+)?$/.test(host);
  const scheme = (explicit?.[1] as 'http' | 'https' | undefined) ?? (loopback ? 'http' : 'https');
  return { host, repository, scheme };
}

/** The image repository (without tag) Docker pulls from and pushes to. */
export function imageRepo(a: RegistryAddress): string {
  return `${a.host}/${a.repository}`;
}

export function manifestUrl(a: RegistryAddress, reference: string): string {
  return `${a.scheme}://${a.host}/v2/${a.repository}/manifests/${reference}`;
}
