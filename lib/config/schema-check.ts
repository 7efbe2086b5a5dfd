// JSON Schema validation of tree and stalk files with ajv; errors become positioned problems.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import { pointerEscape } from './hjson-positions.js';
import { pointerLabel, type Problems, type SourceFile } from './problems.js';
import { didYouMean } from './suggest.js';

// ajv is CommonJS: under NodeNext the default import is module.exports, whose `default` is the class.
const Ajv = AjvModule.default;

export type SchemaKind = 'tree' | 'stalk' | 'site';

/** The schema files live in lib/config/schema; from dist/ walk up to the source tree to find them. */
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

const compiled = new Map<SchemaKind, ValidateFunction>();

function validator(kind: SchemaKind): ValidateFunction {
  const hit = compiled.get(kind);
  if (hit) return hit;
  const ajv = new Ajv({ allErrors: true, strict: true, verbose: true, discriminator: true, allowUnionTypes: true });
  const v = ajv.compile(JSON.parse(readFileSync(schemaPath(kind), 'utf8')));
  compiled.set(kind, v);
  return v;
}

/** Validates; records problems; returns the JSON pointers that had errors (to skip them later). */
export function checkSchema(kind: SchemaKind, src: SourceFile, problems: Problems): string[] {
  const v = validator(kind);
  if (v(src.data)) return [];
  const bad: string[] = [];
  for (const e of v.errors ?? []) {
    const r = describe(e);
    if (!r) continue;
    problems.at(src, r.pointer, r.message + commentHint(e));
    bad.push(r.pointer);
  }
  return bad;
}

function describe(e: ErrorObject): { pointer: string; message: string } | undefined {
  const at = e.instancePath;
  const where = at ? `${pointerLabel(at)}: ` : '';
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
      return {
        pointer: `${at}/${pointerEscape(key)}`,
        message: `unknown key "${key}"${at ? ` in ${pointerLabel(at)}` : ''}${didYouMean(key, known)}`,
      };
    }
    case 'required':
      return { pointer: at, message: `${where}missing required key "${p.missingProperty}"` };
    case 'propertyNames':
      return undefined; // reported by the inner "pattern" error, which names the key
    case 'pattern':
      if (e.propertyName !== undefined)
        return {
          pointer: `${at}/${pointerEscape(e.propertyName)}`,
          message: `${where}invalid name "${e.propertyName}": must match ${p.pattern}`,
        };
      return { pointer: at, message: `${where}${JSON.stringify(e.data)} must match ${p.pattern}` };
    case 'type':
      return { pointer: at, message: `${where}must be ${String(p.type).replace(/,/g, ' or ')}, got ${typeName(e.data)}` };
    case 'enum':
      return { pointer: at, message: `${where}must be one of ${(p.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')}` };
    case 'discriminator': {
      const tag = String(p.tag);
      const kinds = ((e.parentSchema as { oneOf?: { properties?: Record<string, { const?: unknown }> }[] })?.oneOf ?? [])
        .map((s) => s.properties?.[tag]?.const)
        .join(', ');
      return p.error === 'mapping'
        ? { pointer: `${at}/${tag}`, message: `${where}unknown ${tag} ${JSON.stringify(p.tagValue)}: must be one of ${kinds}` }
        : { pointer: at, message: `${where}"${tag}" must be a string, one of ${kinds}` };
    }
    default:
      return { pointer: at, message: `${where}${e.message ?? e.keyword}` };
  }
}

/** hjson's trap: `kind: debootstrap // note` makes the comment part of the unquoted value. */
function commentHint(e: ErrorObject): string {
  const tag = (e.params as { tag?: string }).tag;
  const value = e.keyword === 'discriminator' && tag ? (e.data as Record<string, unknown>)?.[tag] : e.data;
  return typeof value === 'string' && /\s(\/\/|#|\/\*)/.test(value)
    ? ' (hjson takes a comment after an unquoted value as part of the value: quote the value)'
    : '';
}

function typeName(x: unknown): string {
  return x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x;
}
