import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cidr, ifname } from '../formats.js';
import type { Logger } from './log.js';
import { canonical } from './net-addresses.js';

/**
 * The addresses the net agent put on each link, kept in a file under /run so that a restarted agent
 * still removes what it added (`ip none`) instead of forgetting it; /run is empty after a reboot,
 * as the addresses are. Only the planning in net-addresses.ts decides what is the agent's; this
 * class only remembers it.
 */
export class ManagedAddresses {
  private saved: string;

  private constructor(
    private readonly file: string | undefined,
    private readonly map: Map<string, Set<string>>,
  ) {
    this.saved = this.text();
  }

  /**
   * A missing file is a first start (nothing added yet); an unreadable or damaged one is treated the
   * same, with a warning, and never stops the agent: the row's own families are still cleaned up,
   * only addresses of other families the agent added before would stay.
   */
  static load(file: string | undefined, log: Logger): ManagedAddresses {
    const empty = () => new ManagedAddresses(file, new Map());
    if (!file) return empty();
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') log.log('info', 'no address state yet: nothing added', { file });
      else log.log('warning', 'address state unreadable: taken as nothing added', { file, error: err.message });
      return empty();
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      log.log('warning', 'address state unreadable: taken as nothing added', { file, error: 'not a JSON object' });
      return empty();
    }
    // The values reach `ip addr del` (only where the link has them, net-addresses.ts); checked as row values are.
    const map = new Map<string, Set<string>>();
    let dropped = 0;
    for (const [dev, addrs] of Object.entries(doc)) {
      const good = Array.isArray(addrs) ? addrs.filter((a): a is string => typeof a === 'string' && !cidr(a)) : [];
      dropped += (Array.isArray(addrs) ? addrs.length : 1) - good.length;
      if (ifname(dev)) dropped += good.length;
      else if (good.length) map.set(dev, new Set(good.map(canonical)));
    }
    if (dropped) log.log('warning', 'address state: entries ignored', { file, dropped });
    return new ManagedAddresses(file, map);
  }

  mine(dev: string): ReadonlySet<string> {
    return this.map.get(dev) ?? new Set();
  }

  record(dev: string, addrs: ReadonlySet<string>): void {
    this.map.set(dev, new Set(addrs));
  }

  /** Sorted, and without empty links, so that the same sets always make the same text. */
  private text(): string {
    const entries = [...this.map].filter(([, v]) => v.size).map(([k, v]) => [k, [...v].sort()] as const);
    return JSON.stringify(Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
  }

  /**
   * Written only when a set changed, through a temporary file and a rename, so a restart mid-write
   * finds the old state or the new, never half of one. A failed write is a warning and is retried on
   * the next pass: the link settings matter more than the memory of them.
   */
  save(log: Logger): void {
    const text = this.text();
    if (!this.file || text === this.saved) return;
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      // 0600: only the agent (root) needs it (the addresses themselves are no secret: `ip addr` shows them).
      writeFileSync(tmp, text, { mode: 0o600 });
      renameSync(tmp, this.file);
      this.saved = text;
      log.log('debug', 'address state saved', { file: this.file });
    } catch (e) {
      try {
        rmSync(tmp, { force: true });
      } catch {
        // nothing was created where the directory could not be made
      }
      log.log('warning', 'address state not saved: a restarted agent would not know these addresses', {
        file: this.file,
        error: (e as Error).message,
      });
    }
  }
}
