// A CycloneDX 1.5 JSON SBOM of the image: one component per installed Debian package (name,
// version, architecture, source package, the licences its machine-readable copyright file states)
// and the image itself, with its sha256, as the described component. Every value comes from the
// image or the writer's inputs (the timestamp is the clamp, the serial number comes from the seed),
// so the same image gives the same SBOM byte for byte.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageLicenses } from './copyright-licenses.js';
import type { PackageEntry } from './package-manifest.js';

export interface SbomInput {
  root: string; // the unpacked rootfs (for os-release and copyright files)
  image: string; // file name of the image
  sha256: string;
  packages: PackageEntry[];
  epoch: number;
  serial: string; // a UUID
  tool: { name: string; version: string };
}

async function osRelease(root: string): Promise<Record<string, string>> {
  const text = await readFile(join(root, 'etc/os-release'), 'utf8')
    .catch(() => readFile(join(root, 'usr/lib/os-release'), 'utf8'))
    .catch(() => '');
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^([A-Z_]+)=("?)(.*)\2$/gm)) out[m[1]!] = m[3]!;
  return out;
}

/** Package URL (purl-spec, type deb): the version's epoch colon and + are percent-encoded. */
export function debPurl(p: PackageEntry, distro: string | undefined): string {
  const enc = (s: string) => encodeURIComponent(s);
  const q = [`arch=${enc(p.arch)}`];
  if (distro) q.push(`distro=${enc(distro)}`);
  if (p.source && p.source.name !== p.name) q.push(`upstream=${enc(p.source.name)}`);
  return `pkg:deb/debian/${enc(p.name)}@${enc(p.version)}?${q.join('&')}`;
}

export async function buildSbom(input: SbomInput): Promise<object> {
  const os = await osRelease(input.root);
  const distro = os.ID && os.VERSION_ID ? `${os.ID}-${os.VERSION_ID}` : os.VERSION_CODENAME;
  const components = [];
  for (const p of input.packages) {
    const licenses = await packageLicenses(input.root, p.name);
    const purl = debPurl(p, distro);
    components.push({
      type: 'library',
      'bom-ref': purl,
      name: p.name,
      version: p.version,
      purl,
      ...(licenses?.length ? { licenses: licenses.map((name) => ({ license: { name } })) } : {}),
      properties: [
        { name: 'stalker:deb:architecture', value: p.arch },
        ...(p.source
          ? [
              { name: 'stalker:deb:source', value: p.source.name },
              { name: 'stalker:deb:source-version', value: p.source.version },
            ]
          : []),
        { name: 'stalker:deb:copyright', value: licenses === undefined ? 'not machine-readable' : 'machine-readable' },
      ],
    });
  }
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: `urn:uuid:${input.serial}`,
    version: 1,
    metadata: {
      timestamp: new Date(input.epoch * 1000).toISOString().replace(/\.000Z$/, 'Z'),
      tools: { components: [{ type: 'application', name: input.tool.name, version: input.tool.version }] },
      component: {
        type: 'operating-system',
        'bom-ref': 'image',
        name: input.image,
        ...(os.VERSION_ID || os.VERSION_CODENAME ? { version: os.VERSION_ID ?? os.VERSION_CODENAME } : {}),
        ...(os.PRETTY_NAME ? { description: os.PRETTY_NAME } : {}),
        hashes: [{ alg: 'SHA-256', content: input.sha256 }],
      },
    },
    components,
    dependencies: [{ ref: 'image', dependsOn: components.map((c) => c['bom-ref']) }],
  };
}
