// A tree may be named the way buildx names a context: by name (`raspi`, looked up as
// trees/raspi/raspi.hjson here or in a directory above), by directory (`trees/raspi`) or by file.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { kindName } from '../config/path-kind.js';
import { closest } from '../config/suggest.js';
import { StalkerError } from '../errors.js';

/** The tree file `spec` names, or undefined when it names nothing that exists. */
export function findTree(spec: string, cwd = process.cwd()): string | undefined {
  const path = resolve(cwd, spec);
  const st = statOrUndefined(path);
  if (st?.isFile()) return path;
  if (st?.isDirectory()) {
    const inside = join(path, `${basename(path)}.hjson`);
    return existsSync(inside) ? inside : undefined;
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(spec) || spec.endsWith('.hjson')) return undefined;
  for (let dir = cwd; ; dir = dirname(dir)) {
    const file = join(dir, 'trees', spec, `${spec}.hjson`);
    if (existsSync(file)) return file;
    if (dirname(dir) === dir) return undefined;
  }
}

/** As findTree, but says what is wrong (with the closest tree name) when nothing is found. */
export function resolveTree(spec: string, cwd = process.cwd()): string {
  const found = findTree(spec, cwd);
  if (found) return found;
  const path = resolve(cwd, spec);
  const st = statOrUndefined(path);
  if (st?.isDirectory()) throw new StalkerError('USAGE', `${spec} is a directory without ${basename(path)}.hjson in it`);
  if (st) throw new StalkerError('USAGE', `${spec} is ${kindName(st)}, not a tree file`);
  if (spec.endsWith('.hjson') || spec.includes('/')) throw new StalkerError('USAGE', `no tree at ${spec}: no such file`);
  const names = treeNames(cwd);
  const near = closest(spec, names);
  throw new StalkerError(
    'USAGE',
    `no tree named ${spec}: no trees/${spec}/${spec}.hjson here or above${near ? ` (did you mean "${near}"?)` : names.length ? ` (trees: ${names.join(', ')})` : ''}`,
  );
}

function treeNames(cwd: string): string[] {
  try {
    return readdirSync(join(cwd, 'trees')).filter((n) => existsSync(join(cwd, 'trees', n, `${n}.hjson`)));
  } catch {
    return [];
  }
}

function statOrUndefined(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
