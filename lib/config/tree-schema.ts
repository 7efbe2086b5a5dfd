// The writer block's schema lives with the writer (lib/writer/writer-schema.ts). Its values may be
// {{ var }} templates, so the loader validates it only after substitution (writer-options.ts) and
// the tree schema it runs with types `writer` as an object. Editors see the file on disk, whose
// writer definition is the writer schema with a template allowed wherever a string is: a stale
// file fails a unit test, and `npm run schema` rewrites it.
import { writeFileSync } from 'node:fs';
import { writerConfigSchema } from '../writer/writer-schema.js';

type Schema = { [k: string]: unknown };

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

/** The tree schema the loader validates with: the file's, with the writer checked later. */
export function runtimeTreeSchema(fileSchema: Schema): Schema {
  const definitions = { ...(fileSchema.definitions as Record<string, Schema>), writer: { type: 'object' } };
  return { ...fileSchema, definitions };
}

/** `npm run schema`: rewrites the editor schema's writer definition from the writer schema. */
export function writeTreeSchema(path: string, fileSchema: Schema): void {
  const definitions = { ...(fileSchema.definitions as Record<string, Schema>), writer: editorWriterSchema() };
  writeFileSync(path, `${JSON.stringify({ ...fileSchema, definitions }, null, 2)}\n`);
}
