import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The addresses the net agent put on each link, kept in a file under /run so that a restarted agent
 * still removes what it added (`ip none`) instead of forgetting it; /run is empty after a reboot,
 * as the addresses are.
 */
export class ManagedAddresses {
  readonly map: Map<string, Set<string>>;
  private saved: string;

  constructor(private readonly file: string | undefined) {
    let text = '{}';
    try {
      if (file) text = readFileSync(file, 'utf8');
    } catch {
      // no file yet: nothing added
    }
    let doc: Record<string, string[]> = {};
    try {
      doc = JSON.parse(text) as Record<string, string[]>;
    } catch {
      // a damaged file is treated as empty: the row's own families are still cleaned up
    }
    this.map = new Map(
      Object.entries(doc)
        .filter(([, v]) => Array.isArray(v))
        .map(([k, v]) => [k, new Set(v.map(String))]),
    );
    this.saved = this.text();
  }

  private text(): string {
    return JSON.stringify(Object.fromEntries([...this.map].filter(([, v]) => v.size).map(([k, v]) => [k, [...v].sort()])));
  }

  save(): void {
    const text = this.text();
    if (!this.file || text === this.saved) return;
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    writeFileSync(`${this.file}.tmp`, text, { mode: 0o600 });
    renameSync(`${this.file}.tmp`, this.file);
    this.saved = text;
  }
}
