// Templates substitute {{ name }} with a variable's value. The syntax is deliberately tiny: no
// logic, no filters, so a template's meaning is obvious and every name can be checked before any
// container starts. A literal "{{" is written "\{{" (in a quoted hjson string "\\{{", since hjson
// itself reads the backslash there).

import { didYouMean } from './suggest.js';

export interface TemplateVar {
  name: string;
  line: number;
  col: number;
}

export type Segment = string | TemplateVar;

export interface TemplateError {
  line: number;
  col: number;
  message: string;
}

export interface ParsedTemplate {
  segments: Segment[];
  errors: TemplateError[];
}

const LITERAL = '(a literal "{{" is written \\{{, and "\\\\{{" in a quoted hjson string)';

const EXPR = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*$/;

export function parseTemplate(text: string): ParsedTemplate {
  const segments: Segment[] = [];
  const errors: TemplateError[] = [];
  let lit = '';
  let i = 0;
  const where = (idx: number) => {
    const before = text.slice(0, idx);
    const nl = before.lastIndexOf('\n');
    return { line: (before.match(/\n/g)?.length ?? 0) + 1, col: idx - nl };
  };
  while (i < text.length) {
    if (text.startsWith('\\{{', i)) {
      lit += '{{';
      i += 3;
    } else if (text.startsWith('{{', i)) {
      const end = text.indexOf('}}', i + 2);
      const pos = where(i);
      if (end < 0) {
        errors.push({ ...pos, message: `unclosed "{{" ${LITERAL}` });
        lit += text.slice(i);
        break;
      }
      const m = EXPR.exec(text.slice(i + 2, end));
      if (!m) errors.push({ ...pos, message: `invalid placeholder "${text.slice(i, end + 2)}": expected {{ name }} ${LITERAL}` });
      else {
        if (lit) segments.push(lit);
        lit = '';
        segments.push({ name: m[1], ...pos });
      }
      i = end + 2;
    } else {
      lit += text[i++];
    }
  }
  if (lit) segments.push(lit);
  return { segments, errors };
}

/** Names used by a template that are not in `known`, with their positions. */
export function undefinedVars(t: ParsedTemplate, known: ReadonlySet<string>): TemplateVar[] {
  return t.segments.filter((s): s is TemplateVar => typeof s !== 'string' && !known.has(s.name));
}

/**
 * Parses `text` and reports each syntax error and each name not in `known` (with the closest
 * known name, then `unknownHint`) through `report`, so nothing unchecked is ever rendered.
 */
export function checkTemplate(
  text: string,
  known: ReadonlySet<string>,
  report: (message: string, at: { line: number; col: number }) => void,
  unknownHint: string,
): ParsedTemplate {
  const t = parseTemplate(text);
  for (const e of t.errors) report(e.message, e);
  for (const u of undefinedVars(t, known)) report(`undefined variable "${u.name}"${didYouMean(u.name, known)}${unknownHint}`, u);
  return t;
}

/** Callers check undefinedVars first; a missing value here is a bug, so it throws. */
export function render(t: ParsedTemplate, vars: Readonly<Record<string, string>>): string {
  return t.segments
    .map((s) => {
      if (typeof s === 'string') return s;
      const v = vars[s.name];
      if (v === undefined) throw new Error(`template variable ${s.name} has no value`);
      return v;
    })
    .join('');
}
