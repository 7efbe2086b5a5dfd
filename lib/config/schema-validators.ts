// The compiled validators of the loader's schemas (tree, stalk, site, writer). Compiling them
// with ajv takes longer than the rest of a cached rebuild's loading, so `npm run build` compiles
// them once into standalone code (dist/lib/config/schema/validators.cjs, written by
// write-validators.ts from the same schemas and options); a run loads that file. Without it (the
// sources run under jest, or only tsc ran) they are compiled here at first use, the same way.
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { writerConfigSchema } from '../writer/writer-schema.js';
import type { SchemaKind } from './editor-schemas.js';
import { siteSchema } from './schema/site.js';
import { stalkSchema } from './schema/stalk.js';
import { treeSchema } from './schema/tree.js';

export type Validated = SchemaKind | 'writer';
export const SCHEMAS = { tree: treeSchema, stalk: stalkSchema, site: siteSchema, writer: writerConfigSchema };
export const AJV_OPTIONS = { allErrors: true, strict: true, verbose: true, discriminator: true, allowUnionTypes: true };
/** Beside the compiled schema-check.js in dist/. */
export const PRECOMPILED = './schema/validators.cjs';

const require = createRequire(import.meta.url);
let loaded: Record<Validated, ValidateFunction> | undefined;

export function validatorOf(kind: Validated): ValidateFunction {
  loaded ??= precompiled() ?? compileAll();
  return loaded[kind];
}

function precompiled(): Record<Validated, ValidateFunction> | undefined {
  try {
    return require(PRECOMPILED) as Record<Validated, ValidateFunction>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
    throw e;
  }
}

/** One ajv instance for every schema: its own set-up is paid once. */
export function newAjv(code?: { source: boolean }) {
  // ajv is CommonJS: under NodeNext its module.exports' `default` is the class.
  const Ajv = (require('ajv') as typeof import('ajv')).default;
  const ajv = new Ajv({ ...AJV_OPTIONS, ...(code ? { code } : {}) });
  for (const [kind, schema] of Object.entries(SCHEMAS)) ajv.addSchema(schema, kind);
  return ajv;
}

/** The standalone CommonJS module that `npm run build` writes to PRECOMPILED. */
export function standaloneSource(): string {
  const standalone = (require('ajv/dist/standalone/index.js') as typeof import('ajv/dist/standalone/index.js')).default;
  return standalone(newAjv({ source: true }), Object.fromEntries(Object.keys(SCHEMAS).map((k) => [k, k])));
}

function compileAll(): Record<Validated, ValidateFunction> {
  const ajv = newAjv();
  return Object.fromEntries(Object.keys(SCHEMAS).map((k) => [k, ajv.getSchema(k)!])) as Record<Validated, ValidateFunction>;
}
