// An agent's health (what its systemd watchdog pings follow) is progress, not pass length: a pass
// whose steps take long on a loaded board stays healthy; a minute without any step, observation or
// completed pass is a hang.
import { jest } from '@jest/globals';
import type { Agent } from '../../lib/device/agents/agent-runtime.js';
import { startAgent } from './helpers/agents.js';
import { OvsdbServer, until } from './helpers/ovsdb-server.js';

jest.setTimeout(30_000);
let server: OvsdbServer;
beforeAll(async () => {
  server = new OvsdbServer();
  await server.start();
});
afterAll(() => server.dispose());

it('steps inside a long pass count as progress; a minute with none does not', async () => {
  let release: () => void = () => {};
  let steps = 0;
  let passes = 0;
  const agent: Agent = {
    name: 'slow',
    tables: { System: {} },
    intervalMs: 5_000,
    async reconcile(ctx) {
      passes++;
      if (passes === 1) return; // the first pass completes: start() waits for it
      await ctx.step('one slow step', async () => {
        steps++;
      });
      await new Promise<void>((r) => (release = r));
    },
  };
  const { runtime } = await startAgent(agent, server.remote);
  try {
    const started = Date.now();
    expect(runtime.healthy(started + 59_000)).toBe(true);
    expect(runtime.healthy(started + 61_000)).toBe(false);
    // a second pass: its step is progress although the pass itself has not ended
    server.transact([{ op: 'insert', table: 'System', row: { hostname: 'h' } }]);
    await until('the step of the second pass', () => steps === 1);
    const stepped = Date.now();
    expect(runtime.healthy(stepped + 59_000)).toBe(true);
    expect(runtime.healthy(stepped + 61_000)).toBe(false);
  } finally {
    release();
    await runtime.stop();
  }
});
