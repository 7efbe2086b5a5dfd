import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';

/** A device program bundled as the image ships it, in a private temp dir (test files run in parallel). */
export function bundle(entry = 'lib/device/cli/sysdb.ts', name = 'sysdb.cjs'): string {
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'sysdb-bundle-')), name);
  buildSync({ entryPoints: [entry], bundle: true, platform: 'node', target: 'node18', format: 'cjs', outfile: out, logLevel: 'warning' });
  return out;
}

export const bundleSysdb = () => bundle();
export const bundleAgent = () => bundle('lib/device/agents/main.ts', 'stalker-agent.cjs');

/** Asynchronous, so servers living in the test process keep answering while the CLI runs. */
export function runBundle(bundle: string, args: string[], input?: string): Promise<{ code: number | null; out: string; err: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn('node', [bundle, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.stdin.end(input ?? '');
    child.on('close', (code) => resolve({ code, out: out.trim(), err: err.trim(), ms: Date.now() - t0 }));
  });
}
