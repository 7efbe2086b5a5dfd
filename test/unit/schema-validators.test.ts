// The validators a run loads are ajv's standalone code, compiled by `npm run build`; they must
// judge every document exactly as the schemas compiled at run time do (same errors, same order,
// same parent schemas, which the problem messages quote).
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Hjson from 'hjson';
import type { ValidateFunction } from 'ajv';
import { newAjv, SCHEMAS, standaloneSource, type Validated } from '../../lib/config/schema-validators.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);

function loadStandalone(): Record<Validated, ValidateFunction> {
  const module = { exports: {} as Record<Validated, ValidateFunction> };
  new Function('module', 'exports', 'require', standaloneSource())(module, module.exports, require);
  return module.exports;
}

const shipped = (dir: string) =>
  readdirSync(join(repo, dir))
    .filter((n) => !n.startsWith('.'))
    .map((n) => Hjson.parse(readFileSync(join(repo, dir, n, `${n}.hjson`), 'utf8')) as Record<string, unknown>);

/** Seeded mutations of a document: keys dropped, values retyped, unknown keys added, deep and shallow. */
function mutations(doc: unknown, count: number, seed: number): unknown[] {
  let a = seed;
  const r = () => (a = (a * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const values = [null, 42, -1, 'x', '', [], {}, [1, {}], true, '{{ v }}', { kind: 'nope' }];
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const copy = structuredClone(doc);
    const objects: Record<string, unknown>[] = [];
    const walk = (x: unknown) => {
      if (x && typeof x === 'object') {
        objects.push(x as Record<string, unknown>);
        Object.values(x).forEach(walk);
      }
    };
    walk(copy);
    const o = objects[Math.floor(r() * objects.length)];
    const keys = Object.keys(o);
    const k = keys[Math.floor(r() * keys.length)] ?? 'x';
    const m = r();
    if (m < 0.3) delete o[k];
    else if (m < 0.8) o[k] = values[Math.floor(r() * values.length)];
    else o[`${k}x`] = 1;
    out.push(copy);
  }
  return out;
}

test('standalone validators judge like the run-time compiled schemas', () => {
  const pre = loadStandalone();
  const ajv = newAjv();
  const docs: [Validated, unknown][] = [
    ...shipped('trees').flatMap((t) => mutations(t, 150, 7).map((d): [Validated, unknown] => ['tree', d])),
    ...shipped('stalks').flatMap((s) => mutations(s, 40, 11).map((d): [Validated, unknown] => ['stalk', d])),
    ...shipped('trees').flatMap((t) =>
      Object.values(t.stalks as Record<string, { writer?: unknown }>)
        .filter((n) => n.writer)
        .flatMap((n) => mutations(n.writer, 100, 13).map((d): [Validated, unknown] => ['writer', d])),
    ),
    ['site', {}],
    ['site', { engines: 1 }],
  ];
  expect(Object.keys(pre).sort()).toEqual(Object.keys(SCHEMAS).sort());
  let invalid = 0;
  for (const [kind, doc] of docs) {
    const a = pre[kind];
    const b = ajv.getSchema(kind)!;
    const ok = a(doc);
    expect([kind, ok, a.errors]).toEqual([kind, b(doc), b.errors]);
    if (!ok) invalid++;
  }
  expect(invalid).toBeGreaterThan(docs.length / 3); // the mutations do reach the error paths
});
