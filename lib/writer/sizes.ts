import { WriterError } from './writer-error.js';

export const MiB = 1024 * 1024;
const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: MiB,
  mb: 1e6,
  mib: MiB,
  g: 1024 * MiB,
  gb: 1e9,
  gib: 1024 * MiB,
  t: 1024 * 1024 * MiB,
  tib: 1024 * 1024 * MiB,
};

/** Accepts a byte count or "256MiB", "1.5G", "4M" (binary units for bare letters, as sfdisk does). */
export function parseSize(value: number | string, what: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.floor(value);
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(String(value));
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new WriterError('WRITER_CONFIG', `${what}: cannot read size ${JSON.stringify(value)} (use bytes or e.g. "256MiB")`);
  }
  return Math.floor(Number(m[1]) * unit);
}

export function alignUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

export function formatSize(bytes: number): string {
  if (bytes >= 1024 * MiB) return `${(bytes / (1024 * MiB)).toFixed(2)} GiB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(1)} MiB`;
  return `${bytes} B`;
}
