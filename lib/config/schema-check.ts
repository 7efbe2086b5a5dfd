// JSON Schema validation of tree and stalk files with ajv; errors become positioned problems.
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { SchemaKind } from './editor-schemas.js';
import { pointerEscape } from './hjson-positions.js';
import { pointerLabel, type Problems, type SourceFile } from './problems.js';
import { validatorOf } from './schema-validators.js';
import { didYouMean } from './suggest.js';

/**
 * Validated data: found in `src` at `base`, named `label` in messages. `reported`: pointers whose
 * problem is said already (a placeholder): counted bad, not said twice.
 */
interface Target {
  data: unknown;
  src: SourceFile;
  base: string;
  label: string;
  reported?: (pointer: string) => boolean;
}

/** Validates; records problems; returns the JSON pointers that had errors (to skip them later). */
export function checkSchema(kind: SchemaKind, src: SourceFile, problems: Problems): string[] {
  return report(validatorOf(kind), { data: src.data, src, base: '', label: '' }, problems);
}

/**
 * A writer block, after its templates were substituted: `data` is the rendered block, found in
 * `src` at `base`; messages name it as `label` (say `node "img": writer`).
 */
export function checkWriterSchema(at: Target, problems: Problems): string[] {
  return report(validatorOf('writer'), at, problems);
}

function report(v: ValidateFunction, { data, src, base, label, reported = () => false }: Target, problems: Problems): string[] {
  if (v(data)) return [];
  const errors = v.errors ?? [];
  // an anyOf (a size: integer or "256MiB") is one problem, said with its description, not one per branch
  const branches = errors.filter((e) => e.keyword === 'anyOf').map((e) => `${e.schemaPath}/`);
  const bad: string[] = [];
  for (const e of errors) {
    if (branches.some((b) => e.schemaPath.startsWith(b))) continue;
    const r = describe(e, label);
    if (!r) continue;
    if (!reported(base + r.pointer)) problems.at(src, base + r.pointer, r.message + commentHint(e));
    // duplicates in a list are reported, but the list is still usable (its cycles still found)
    if (e.keyword !== 'uniqueItems') bad.push(base + r.pointer);
  }
  return bad;
}

function describe(e: ErrorObject, label: string): { pointer: string; message: string } | undefined {
  const at = e.instancePath;
  const path = [label, at ? pointerLabel(at) : ''].filter(Boolean).join(label && at && !at.match(/^\/\d/) ? '.' : '');
  const where = path ? `${path}: ` : '';
  const about = (e.parentSchema as { description?: string } | undefined)?.description;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
      return {
        pointer: `${at}/${pointerEscape(key)}`,
        message: `unknown key "${key}"${path ? ` in ${path}` : ''}${didYouMean(key, known)}`,
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
    case 'anyOf':
      return { pointer: at, message: `${where}${JSON.stringify(e.data)} is not valid${about ? `: expected ${about}` : ''}` };
    case 'minimum':
      return { pointer: at, message: `${where}${JSON.stringify(e.data)} must be >= ${p.limit}${about ? ` (${about})` : ''}` };
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
