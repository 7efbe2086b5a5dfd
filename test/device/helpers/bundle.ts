import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';

/** The CLI bundled as the image ships it, in a private temp dir (test files run in parallel). */
export function bundleSysdb(): string {
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'sysdb-bundle-')), 'sysdb.cjs');
  buildSync({ entryPoints: ['lib/device/cli/sysdb.ts'], bundle: true, platform: 'node', target: 'node18', format: 'cjs', outfile: out, logLevel: 'warning' });
  return out;
}

/** Asynchronous, so servers living in the test process keep answering while the CLI runs. */
export function runBundle(bundle: string, args: string[], input?: string): Promise<{ code: number | null; out: string; err: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn('node', [bundle, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.stdin.end(input ?? '');
    child.on('close', (code) => resolve({ code, out: out.trim(), err: err.trim(), ms: Date.now() - t0 }));
  });
}
