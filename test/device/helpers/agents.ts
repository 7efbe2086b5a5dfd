import { AgentRuntime, type Agent } from '../../../lib/device/agents/agent-runtime.js';
import { jsonLogger } from '../../../lib/device/agents/log.js';

/** Runs an agent in-process, capturing its structured log and printed lines. */
export async function startAgent(agent: Agent, remote: string, dryRun = false): Promise<{ runtime: AgentRuntime; lines: string[] }> {
  const lines: string[] = [];
  const runtime = new AgentRuntime(agent, {
    remote,
    dryRun,
    log: jsonLogger(agent.name, (l) => lines.push(l)),
    print: (l) => lines.push(l),
    minBackoffMs: 50,
    maxBackoffMs: 200,
  });
  await runtime.start();
  return { runtime, lines };
}
