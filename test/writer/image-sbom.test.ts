// The image's SBOM: CycloneDX 1.5 JSON, valid against the format's published JSON Schema
// (test/fixtures/cyclonedx-1.5, as CycloneDX publishes it), with what dpkg and machine-readable
// copyright files say, the image's own hash, and the same bytes when the same image is written again.
import AjvModule from 'ajv';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeImage, type WriterResult } from '../../lib/writer/write-image.js';
import { makeRootfsDir, tarStream } from './rootfs-fixture.js';

const SCHEMAS = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/cyclonedx-1.5');
const STATUS = `Package: busybox-static
Status: install ok installed
Architecture: arm64
Source: busybox (1:1.37.0-6)
Version: 1:1.37.0-6+b3

Package: base-files
Status: install ok installed
Architecture: arm64
Version: 13.8

Package: removed-thing
Status: deinstall ok config-files
Architecture: arm64
Version: 1.0
`;
const DEP5 = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: busybox

Files: *
Copyright: 1998-2024 Erik Andersen, Rob Landley, Denys Vlasenko and others
License: GPL-2

Files: debian/*
Copyright: 2024 Debian
License: GPL-2+

License: GPL-2
 On Debian systems, the complete text is in /usr/share/common-licenses/GPL-2.
`;

let out: string;
let rootfs: string;
let result: WriterResult;

function validator() {
  const ajv = new AjvModule.default({ strict: false, allErrors: true });
  // the formats the schema names; date-time is the one our document uses
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  ajv.addFormat('iri-reference', true);
  ajv.addFormat('idn-email', true);
  ajv.addFormat('uri', true);
  for (const f of ['spdx.schema.json', 'jsf-0.82.schema.json']) ajv.addSchema(JSON.parse(readFileSync(join(SCHEMAS, f), 'utf8')));
  return ajv.compile(JSON.parse(readFileSync(join(SCHEMAS, 'bom-1.5.schema.json'), 'utf8')));
}

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'stalker-sbom-'));
  rootfs = makeRootfsDir();
  writeFileSync(join(rootfs, 'var/lib/dpkg/status'), STATUS);
  mkdirSync(join(rootfs, 'usr/share/doc/busybox-static'), { recursive: true });
  mkdirSync(join(rootfs, 'usr/share/doc/base-files'), { recursive: true });
  writeFileSync(join(rootfs, 'usr/share/doc/busybox-static/copyright'), DEP5);
  writeFileSync(join(rootfs, 'usr/share/doc/base-files/copyright'), 'This is the Debian prepackaged version of the base files.\nFree-form text.\n');
  writeFileSync(join(rootfs, 'etc/os-release'), 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nID=debian\nVERSION_ID="13"\nVERSION_CODENAME=trixie\n');
  result = await writeImage(tarStream(rootfs), {
    output: join(out, 'raspi.img'),
    seed: 'sbom-seed',
    sourceDateEpoch: 1795219200,
    layout: { boot: { size: '40MiB', fat: 16 }, root: { headroom: '8MiB' } },
  });
}, 120_000);

afterAll(() => {
  rmSync(out, { recursive: true, force: true });
  rmSync(rootfs, { recursive: true, force: true });
});

test('raspi.img.cdx.json is valid CycloneDX 1.5 (the published JSON Schema)', () => {
  const validate = validator();
  const doc = JSON.parse(readFileSync(result.sbomFile, 'utf8'));
  const ok = validate(doc);
  expect(validate.errors ?? []).toEqual([]);
  expect(ok).toBe(true);
  // and the schema is not a pushover: a document missing what 1.5 requires is rejected
  expect(validate({ ...doc, bomFormat: 'SPDX' })).toBe(false);
  expect(validate({ ...doc, components: [{ name: 'no-type' }] })).toBe(false);
});

test('it names the image by its sha256 and each installed package with version, arch, source and stated licences', () => {
  const doc = JSON.parse(readFileSync(result.sbomFile, 'utf8'));
  expect(result.sbomFile).toBe(`${result.image}.cdx.json`);
  const imageSha = execFileSync('sha256sum', [result.image], { encoding: 'utf8' }).split(' ')[0];
  expect(doc.metadata.component).toMatchObject({ type: 'operating-system', name: 'raspi.img', version: '13', hashes: [{ alg: 'SHA-256', content: imageSha }] });
  expect(doc.metadata.timestamp).toBe('2026-11-21T00:00:00Z');
  expect(doc.components.map((c: { name: string }) => c.name)).toEqual(['base-files', 'busybox-static']);
  const busybox = doc.components[1];
  expect(busybox).toMatchObject({
    version: '1:1.37.0-6+b3',
    purl: 'pkg:deb/debian/busybox-static@1%3A1.37.0-6%2Bb3?arch=arm64&distro=debian-13&upstream=busybox',
    licenses: [{ license: { name: 'GPL-2' } }, { license: { name: 'GPL-2+' } }],
  });
  const prop = (c: { properties: { name: string; value: string }[] }, n: string) => c.properties.find((p) => p.name === n)?.value;
  expect(prop(busybox, 'stalker:deb:architecture')).toBe('arm64');
  expect(prop(busybox, 'stalker:deb:source')).toBe('busybox');
  expect(prop(busybox, 'stalker:deb:source-version')).toBe('1:1.37.0-6');
  // a free-form copyright file states no licence the SBOM could repeat
  expect(doc.components[0].licenses).toBeUndefined();
  expect(prop(doc.components[0], 'stalker:deb:copyright')).toBe('not machine-readable');
  expect(prop(doc.components[0], 'stalker:deb:source')).toBe('base-files');
});

test('the same image written again gives the same SBOM bytes', async () => {
  const again = await writeImage(tarStream(rootfs), {
    output: join(out, 'again', 'raspi.img'),
    seed: 'sbom-seed',
    sourceDateEpoch: 1795219200,
    layout: { boot: { size: '40MiB', fat: 16 }, root: { headroom: '8MiB' } },
  });
  expect(again.sha256).toBe(result.sha256);
  expect(readFileSync(again.sbomFile, 'utf8')).toBe(readFileSync(result.sbomFile, 'utf8'));
}, 120_000);
