// The JSON Schema files shipped for editors (lib/config/schema/*.schema.json) are generated from
// the schemas the loader validates with (schema/tree.ts, schema/stalk.ts, schema/site.ts and the writer's own,
// lib/writer/writer-schema.ts): `npm run schema` writes them, and a unit test fails while they
// are stale. The writer's values may be {{ var }} templates, so the loader checks that block only
// after substitution and its tree schema types `writer` as an object; the editor file embeds the
// writer schema with a template allowed wherever a string is.
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writerConfigSchema } from '../writer/writer-schema.js';
import { siteSchema } from './schema/site.js';
import { stalkSchema } from './schema/stalk.js';
import { treeSchema } from './schema/tree.js';

type Schema = { [k: string]: unknown };
export type SchemaKind = 'tree' | 'stalk' | 'site';

const TEMPLATE: Schema = { type: 'string', pattern: '\\{\\{', description: 'a {{ var }} template, checked after substitution' };

/** The writer schema as editors get it: any string-valued option may also be a template. */
export function editorWriterSchema(): Schema {
  return templated(writerConfigSchema as unknown as Schema);
}

function templated(s: Schema): Schema {
  const out: Schema = { ...s };
  if (s.properties) out.properties = Object.fromEntries(Object.entries(s.properties as Record<string, Schema>).map(([k, v]) => [k, templated(v)]));
  const stringish = s.type === 'string' && (s.pattern !== undefined || s.minLength !== undefined);
  const stringEnum = Array.isArray(s.enum) && s.enum.every((x) => typeof x === 'string');
  if (Array.isArray(s.anyOf)) out.anyOf = [...(s.anyOf as Schema[]), TEMPLATE];
  else if (stringish || stringEnum) {
    const { description, default: dflt, ...strict } = s;
    return { description, ...(dflt === undefined ? {} : { default: dflt }), anyOf: [strict, TEMPLATE] };
  }
  return out;
}

/** What lib/config/schema/<kind>.schema.json must hold. */
export function editorSchema(kind: SchemaKind): Schema {
  if (kind === 'stalk') return stalkSchema as unknown as Schema;
  if (kind === 'site') return siteSchema as unknown as Schema;
  return { ...treeSchema, definitions: { ...treeSchema.definitions, writer: editorWriterSchema() } };
}

/** The shipped files live in lib/config/schema; from dist/ walk up to the source tree to find them. */
export function schemaPath(kind: SchemaKind): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let k = 0; k < 6; k++) {
    for (const rel of ['schema', 'lib/config/schema']) {
      const p = join(dir, rel, `${kind}.schema.json`);
      if (existsSync(p)) return p;
    }
    dir = dirname(dir);
  }
  throw new Error(`stalker: ${kind}.schema.json not found near ${fileURLToPath(import.meta.url)}`);
}

export function writeEditorSchema(kind: SchemaKind): string {
  const path = schemaPath(kind);
  writeFileSync(path, `${JSON.stringify(editorSchema(kind), null, 2)}\n`);
  return path;
}
