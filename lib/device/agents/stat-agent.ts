import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { Agent } from './agent-runtime.js';

async function temperature(file: string): Promise<number | null> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const milli = text === undefined ? NaN : Number(text.trim());
  return Number.isFinite(milli) ? milli / 1000 : null;
}

async function memAvailable(): Promise<number> {
  // MemAvailable is what a new workload could use; os.freemem() ignores reclaimable page cache.
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(await readFile('/proc/meminfo', 'utf8').catch(() => ''));
  return m ? Number(m[1]) * 1024 : os.freemem();
}

/** Telemetry: one row refreshed every interval (1 s by default). */
export function statAgent(opts: { intervalMs?: number; thermalFile?: string } = {}): Agent {
  return {
    name: 'stat',
    tables: { Telemetry: {} },
    intervalMs: opts.intervalMs ?? 1000,
    async reconcile(ctx) {
      const values = {
        loadavg: os.loadavg()[0],
        temperature: await temperature(opts.thermalFile ?? '/sys/class/thermal/thermal_zone0/temp'),
        mem_free: await memAvailable(),
        uptime: os.uptime(),
        timestamp: Date.now(),
      };
      if (ctx.dryRun) return void (await ctx.step(`telemetry ${JSON.stringify(values)}`, async () => {}));
      const [row] = ctx.rows('Telemetry');
      // Our own write comes back as a monitor update; skip it so the 1 s cadence holds.
      if (row && Date.now() - (row.timestamp as number) < (opts.intervalMs ?? 1000) / 2) return;
      await ctx.upsertSingleton('Telemetry', values);
      ctx.log.log('debug', 'telemetry', values);
    },
  };
}
