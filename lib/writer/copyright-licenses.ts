import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const DEP5 = /^Format:\s*https?:\/\/(www\.)?debian\.org\/doc\/packaging-manuals\/copyright-format\/1\.0\/?\s*$/m;

/**
 * The licences a machine-readable debian/copyright (DEP-5) states for the package's files: the
 * first line of each `License:` field of a `Files:` paragraph, as written there (Debian short
 * names such as GPL-2+ or Expat, often but not always SPDX identifiers), sorted and unique.
 * Standalone License paragraphs only carry the texts of those names. undefined: the file is
 * missing or free-form, so nothing can be stated without reading prose.
 */
export function dep5Licenses(text: string): string[] | undefined {
  const first = text.split(/\n\s*\n/, 1)[0] ?? '';
  if (!DEP5.test(first)) return undefined;
  const found = new Set<string>();
  for (const para of text.split(/\n\s*\n/)) {
    if (!/^Files:/im.test(para)) continue;
    const license = /^License:[ \t]*(.*)$/im.exec(para)?.[1]?.trim();
    if (license) found.add(license);
  }
  return [...found].sort();
}

/** Reads /usr/share/doc/PACKAGE/copyright in an unpacked root (the raspi base keeps these files). */
export async function packageLicenses(root: string, pkg: string): Promise<string[] | undefined> {
  const text = await readFile(join(root, 'usr/share/doc', pkg, 'copyright'), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : dep5Licenses(text);
}
