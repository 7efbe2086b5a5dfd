import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface PackageEntry {
  name: string;
  version: string;
  arch: string;
  /** The source package when dpkg names one ("Source: name" or "Source: name (version)"). */
  source?: { name: string; version: string };
}

/** Installed packages from a dpkg status file, sorted by name then arch (stable across runs). */
export function parseDpkgStatus(text: string): PackageEntry[] {
  const out: PackageEntry[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (k: string) => new RegExp(`^${k}:[ \\t]*(.*)$`, 'mi').exec(stanza)?.[1]?.trim();
    const name = field('Package');
    const status = field('Status') ?? '';
    // "install ok installed" is installed; half-installed, config-files etc. are not in the image's sense
    if (!name || !/\binstalled$/.test(status) || /config-files|not-installed/.test(status)) continue;
    const version = field('Version') ?? '';
    const src = /^(\S+)(?:\s+\((\S+)\))?$/.exec(field('Source') ?? '');
    const entry: PackageEntry = { name, version, arch: field('Architecture') ?? '' };
    // no Source field: the source package has the binary's name and version
    entry.source = src ? { name: src[1]!, version: src[2] ?? version } : { name, version };
    out.push(entry);
  }
  return out.sort((a, b) => (a.name === b.name ? (a.arch < b.arch ? -1 : 1) : a.name < b.name ? -1 : 1));
}

/** The rootfs's package list, or undefined when it has no dpkg database (not a Debian tree). */
export async function readManifest(root: string): Promise<PackageEntry[] | undefined> {
  const text = await readFile(join(root, 'var/lib/dpkg/status'), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : parseDpkgStatus(text);
}
