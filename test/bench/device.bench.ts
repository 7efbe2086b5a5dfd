// Device benchmark (issue 9), side by side in one run:
//   `sysdb set` (the bundled CLI, as on the device) with 20,000 audit entries vs with one entry
//   (goal <= 1.5x: a write reads System.audit_head, never the Audit table);
//   parsing an 8 MiB reply arriving in 64 KiB chunks with the client's stream splitter vs one
//   JSON.parse of the whole text (goal <= 2x: split on complete messages, one parse each).
// BENCH_ONLY=device runs only this one.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { JsonStreamSplitter } from '../../lib/device/ovsdb/json-stream.js';
import { OvsdbServer } from '../device/helpers/ovsdb-server.js';
import { seedAudit } from '../device/helpers/seed-audit.js';
import { bestOf } from './timing.js';

const SYSDB = join(process.cwd(), 'dist/device/sysdb.cjs');

function line(label: string, ours: number, base: number, baseLabel: string, goal: number): string {
  const ratio = ours / base;
  return `${label}: ${ours.toFixed(1)} ms vs ${baseLabel} ${base.toFixed(1)} ms = ${ratio.toFixed(2)}x (goal <= ${goal}x) ${ratio <= goal ? 'ok' : 'OVER GOAL'}`;
}

/** Best wall time of `sysdb set`, each run a real change (the mtu alternates). */
function timeSet(remote: string, runs: number): number {
  let n = 0;
  return bestOf(runs, () => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync('node', [SYSDB, '--remote', remote, 'set', 'interface', 'eth0', 'mtu', String(1500 + (n++ % 2))], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`sysdb set exited ${r.status}: ${r.stderr}`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  });
}

async function setWithLongAudit(): Promise<string> {
  const small = new OvsdbServer();
  const big = new OvsdbServer();
  try {
    await small.start();
    await big.start();
    await seedAudit(small.remote, 1);
    await seedAudit(big.remote, 20_000);
    // interleaved, so both see the same machine load
    let one = Infinity;
    let many = Infinity;
    for (let i = 0; i < 3; i++) {
      one = Math.min(one, timeSet(small.remote, 3));
      many = Math.min(many, timeSet(big.remote, 3));
    }
    return line('sysdb set, 20,000 audit entries vs 1', many, one, '1 entry', 1.5);
  } finally {
    await small.dispose();
    await big.dispose();
  }
}

function parseReply(): string {
  const rows = Array.from({ length: 40_000 }, (_, i) => ({
    _uuid: ['uuid', `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`],
    name: `row-${i}`,
    value: 'v'.repeat(140),
    n: i,
  }));
  const text = JSON.stringify({ id: 7, error: null, result: [{ rows }] });
  // as a socket with setEncoding('utf8') delivers them: separate strings, not slices of one
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += 64 * 1024) chunks.push(Buffer.from(text.slice(i, i + 64 * 1024)).toString('utf8'));
  const time = (fn: () => void) =>
    bestOf(7, () => {
      const t0 = process.hrtime.bigint();
      fn();
      return Number(process.hrtime.bigint() - t0) / 1e6;
    });
  const ours = time(() => {
    const s = new JsonStreamSplitter();
    let n = 0;
    for (const c of chunks) n += s.push(c).length;
    if (n !== 1) throw new Error(`splitter produced ${n} messages`);
  });
  const base = time(() => {
    JSON.parse(text);
  });
  // The least any client of a chunked stream does: one join, one parse. The join is a fresh copy of
  // the whole reply, and on a VM fresh memory costs page faults that JSON.parse alone never pays.
  const joined = time(() => {
    JSON.parse(chunks.join(''));
  });
  const label = `parse ${(text.length / 1024 / 1024).toFixed(1)} MiB reply in 64 KiB chunks`;
  return `${line(label, ours, base, 'JSON.parse', 2)}\n${line(label, ours, joined, 'join + JSON.parse', 2)}`;
}

export async function run(): Promise<void> {
  if (process.env.BENCH_ONLY && process.env.BENCH_ONLY !== 'device') return console.log('device: not selected (BENCH_ONLY)');
  console.log(parseReply());
  console.log(await setWithLongAudit());
}
