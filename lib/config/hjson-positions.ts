// Hjson.parse gives values but no positions, and ajv reports JSON pointers. This scanner walks the
// source once more (after Hjson accepted it, so it can be lenient) and records where every key and
// value starts, keyed by the same JSON pointer ajv uses; it also notices duplicate keys, which
// Hjson silently resolves to the last one.

export interface Pos {
  line: number; // 1-based
  col: number; // 1-based
}

export interface Located {
  key?: Pos; // object members only
  value: Pos;
}

export interface Duplicate {
  pointer: string;
  key: Pos;
  first: Pos;
}

export interface PositionMap {
  at: Map<string, Located>;
  duplicates: Duplicate[];
}

export function pointerEscape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

const PUNCT = new Set(['{', '}', '[', ']', ',', ':']);
const LITERAL = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)$/;

class Scanner {
  private i = 0;
  private line = 1;
  private col = 1;
  readonly map: PositionMap = { at: new Map(), duplicates: [] };

  constructor(private readonly s: string) {}

  run(): void {
    this.skip();
    const c = this.s[this.i];
    if (c === '{' || c === '[') this.value('', undefined);
    else this.members('', undefined);
  }

  private pos(): Pos {
    return { line: this.line, col: this.col };
  }

  private adv(n = 1): void {
    for (let k = 0; k < n && this.i < this.s.length; k++) {
      if (this.s[this.i] === '\n') {
        this.line++;
        this.col = 1;
      } else this.col++;
      this.i++;
    }
  }

  private startsWith(t: string): boolean {
    return this.s.startsWith(t, this.i);
  }

  /** Whitespace and comments; commas are separators handled by the containers. */
  private skip(): void {
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.adv();
      else if (c === '#' || this.startsWith('//')) {
        while (this.i < this.s.length && this.s[this.i] !== '\n') this.adv();
      } else if (this.startsWith('/*')) {
        const end = this.s.indexOf('*/', this.i + 2);
        this.adv((end < 0 ? this.s.length : end + 2) - this.i);
      } else return;
    }
  }

  private members(ptr: string, close: string | undefined): void {
    const seen = new Map<string, Pos>();
    for (;;) {
      this.skip();
      if (this.i >= this.s.length) return;
      const c = this.s[this.i];
      if (c === close) return this.adv();
      if (c === ',') {
        this.adv();
        continue;
      }
      const keyPos = this.pos();
      const key = this.key();
      this.skip();
      if (this.s[this.i] === ':') this.adv();
      this.skip();
      const child = `${ptr}/${pointerEscape(key)}`;
      const first = seen.get(key);
      if (first) this.map.duplicates.push({ pointer: child, key: keyPos, first });
      else seen.set(key, keyPos);
      this.value(child, keyPos);
    }
  }

  private key(): string {
    const c = this.s[this.i];
    if (c === '"' || c === "'") return this.quoted();
    const start = this.i;
    while (this.i < this.s.length && !/[\s:{}[\],]/.test(this.s[this.i])) this.adv();
    return this.s.slice(start, this.i);
  }

  private quoted(): string {
    const q = this.s[this.i];
    const start = this.i;
    this.adv();
    while (this.i < this.s.length && this.s[this.i] !== q) this.adv(this.s[this.i] === '\\' ? 2 : 1);
    this.adv();
    try {
      return JSON.parse(q === '"' ? this.s.slice(start, this.i) : `"${this.s.slice(start + 1, this.i - 1)}"`);
    } catch {
      return this.s.slice(start + 1, this.i - 1);
    }
  }

  private value(ptr: string, keyPos: Pos | undefined): void {
    this.map.at.set(ptr, { key: keyPos, value: this.pos() });
    const c = this.s[this.i];
    if (c === '{') {
      this.adv();
      this.members(ptr, '}');
    } else if (c === '[') {
      this.adv();
      this.elements(ptr);
    } else if (this.startsWith("'''")) {
      const end = this.s.indexOf("'''", this.i + 3);
      this.adv((end < 0 ? this.s.length : end + 3) - this.i);
    } else if (c === '"' || c === "'") {
      this.quoted();
    } else {
      this.quoteless();
    }
  }

  private elements(ptr: string): void {
    let index = 0;
    for (;;) {
      this.skip();
      if (this.i >= this.s.length) return;
      const c = this.s[this.i];
      if (c === ']') return this.adv();
      if (c === ',') {
        this.adv();
        continue;
      }
      this.value(`${ptr}/${index++}`, undefined);
    }
  }

  /** Hjson: a number or literal may end at a punctuator or comment; anything else runs to EOL. */
  private quoteless(): void {
    let eol = this.s.indexOf('\n', this.i);
    if (eol < 0) eol = this.s.length;
    const rest = this.s.slice(this.i, eol);
    const m = /[,\]}#]|\/\/|\/\*/.exec(rest);
    if (m && LITERAL.test(rest.slice(0, m.index).trim())) return this.adv(m.index);
    if (PUNCT.has(rest[0] ?? '')) return this.adv(1); // lenient: never loop on stray punctuation
    this.adv(rest.length);
  }
}

export function mapPositions(text: string): PositionMap {
  const sc = new Scanner(text);
  try {
    sc.run();
  } catch {
    // positions are a help for messages; a partial map is still useful
  }
  return sc.map;
}
