/** A parsed document's leaf values by dotted key (arrays are leaves), so every key is either used or refused. */
export class Leaves {
  private readonly values = new Map<string, unknown>();
  private readonly used = new Set<string>();

  constructor(doc: unknown, prefix = '') {
    this.add(doc, prefix);
  }

  private add(v: unknown, key: string): void {
    if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) {
      const entries = Object.entries(v);
      if (!entries.length && key) this.values.set(key, v);
      for (const [k, x] of entries) this.add(x, key ? `${key}.${k}` : k);
    } else this.values.set(key, v);
  }

  /** The value (undefined when absent); marks the key handled. */
  take(key: string): unknown {
    this.used.add(key);
    return this.values.get(key);
  }

  /** Keys under a prefix, marking none. */
  under(prefix: string): string[] {
    return [...this.values.keys()].filter((k) => k === prefix || k.startsWith(`${prefix}.`));
  }

  /** Keys nothing took. */
  rest(): string[] {
    return [...this.values.keys()].filter((k) => !this.used.has(k));
  }
}

/** Why a key is not honoured, by its first matching prefix. */
export function reasonFor(key: string, reasons: [string, string][]): string {
  return reasons.find(([p]) => key === p || key.startsWith(`${p}.`))?.[1] ?? 'unknown key: not read';
}

export const RUNCMD_REFUSED = 'arbitrary commands are refused: this is a managed system (its configuration is Sysdb)';
export const KEYMAP_REFUSED = 'the image has no console keymap (it is managed over the network)';
export const PACKAGES_REFUSED = 'packages are part of the image, not installed at boot';
