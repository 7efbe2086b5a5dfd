// The host side of per-device provisioning: the files a user gives are read and checked with the
// device's own reader (lib/device/provision), the one place that knows the formats, so what the
// host accepts is what the device will apply. This module is the builder's only way into
// lib/device (a narrow exception in .dependency-cruiser.cjs): that reader is pure, it runs nothing.
import { existsSync, readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatProblem, PROVISION_FILES, readProvision, type Provision } from '../device/provision/read-provision.js';
import { StalkerError } from '../errors.js';

export { PROVISION_FILES };

/** Larger than any real provisioning file: refused before it is read into memory. */
const MAX_BYTES = 1024 * 1024;

export interface ProvisionFile {
  /** As the user gave it (messages name this). */
  path: string;
  /** Its basename, one of PROVISION_FILES: the name it gets on the FAT partition. */
  name: string;
  /** The bytes checked, and so the bytes written: a file changed afterwards changes nothing. */
  bytes: Buffer;
}

export interface CheckedProvision {
  files: ProvisionFile[];
  provision: Provision;
}

type Schema = Parameters<typeof readProvision>[1];

/** The Sysdb schema from the source tree; from dist/ walk up to it, as schemaPath() does for the config schemas. */
function sysdbSchema(): Schema {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let k = 0; k < 6; k++, dir = dirname(dir)) {
    const p = join(dir, 'lib/device/sysdb.ovsschema');
    if (existsSync(p)) return JSON.parse(readFileSync(p, 'utf8')) as Schema;
  }
  throw new Error(`stalker: lib/device/sysdb.ovsschema not found above ${fileURLToPath(import.meta.url)}`);
}

const invalid = (lines: string[]) => new StalkerError('CONFIG_INVALID', lines.join('\n'));

/**
 * Reads and checks every file before anything is written anywhere. A name that is not a
 * provisioning file, or given twice, is one line naming the accepted names (exit 2); the
 * problems of the contents are `FILE:line:col: message`, FILE as the user spelled it (exit 2).
 */
export async function checkProvisionFiles(paths: string[]): Promise<CheckedProvision> {
  if (!paths.length) throw new StalkerError('USAGE', `no provisioning file given (${PROVISION_FILES.join(', ')})`);
  const seen = new Map<string, string>();
  for (const path of paths) {
    const name = basename(path);
    if (!PROVISION_FILES.includes(name))
      throw new StalkerError('USAGE', `${path}: not a provisioning file: the name must be one of ${PROVISION_FILES.join(', ')}`);
    const twice = seen.get(name);
    if (twice !== undefined) throw new StalkerError('USAGE', `${path}: ${name} is given twice (also ${twice}); the device reads one of each`);
    seen.set(name, path);
  }
  const files: ProvisionFile[] = [];
  const unreadable: string[] = [];
  for (const path of paths) {
    const got = await stat(path).then(
      (st) => ({ st }),
      (e: NodeJS.ErrnoException) => ({ e }),
    );
    if ('e' in got) unreadable.push(`${path}: cannot read it: ${got.e.code === 'ENOENT' ? 'no such file' : got.e.message}`);
    else if (!got.st.isFile()) unreadable.push(`${path}: not a regular file`);
    else if (got.st.size > MAX_BYTES) unreadable.push(`${path}: ${got.st.size} bytes: larger than any provisioning file (at most ${MAX_BYTES})`);
    else files.push({ path, name: basename(path), bytes: await readFile(path) });
  }
  if (unreadable.length) throw invalid(unreadable);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const inputs: { name: string; text: string }[] = [];
  for (const f of files) {
    try {
      inputs.push({ name: f.name, text: decoder.decode(f.bytes) });
    } catch {
      unreadable.push(`${f.path}: not UTF-8 text`);
    }
  }
  if (unreadable.length) throw invalid(unreadable);
  const { provision, problems } = readProvision(inputs, sysdbSchema());
  const userPath = (name: string) => seen.get(name) ?? name;
  if (problems.length || !provision)
    throw invalid(problems.length ? problems.map((p) => formatProblem({ ...p, file: userPath(p.file) })) : [`${paths.join(', ')}: nothing to provision`]);
  // the device reads one format (the first present); a file it would skip must not sit on the card with its secrets
  const skipped = files.filter((f) => !provision.sources.includes(f.name));
  if (skipped.length)
    throw new StalkerError(
      'USAGE',
      `${skipped.map((f) => f.path).join(', ')}: the device would not read ${skipped.length > 1 ? 'them' : 'it'}: ${userPath(provision.sources[0]!)} takes precedence (${PROVISION_FILES.join(' > ')}); give the files of one format`,
    );
  const refused = provision.refused.map((line) => line.replace(/^[^:]+/, (name) => userPath(name)));
  return { files, provision: { ...provision, refused } };
}
