// `stalker logs <node>[:<step>]`: the step logs of the latest run of each step, in step order.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { StalkerError } from '../errors.js';
import { LogPaths } from '../logs/log-paths.js';
import { BOOTSTRAP_STEP } from '../run/bootstrap.js';
import { openProject } from './project.js';

export async function logsCommand(config: string | undefined, target: string | undefined, run?: string): Promise<number> {
  const project = await openProject(config);
  if (!target) throw new StalkerError('USAGE', 'usage: stalker logs <node>[:<step>] --config <tree>');
  const [nodeName, stepName] = target.split(':');
  const node = project.tree.nodes.get(nodeName);
  if (!node) throw new StalkerError('USAGE', `no node ${nodeName} in tree ${project.tree.name}`);
  const steps = [...(node.bootstrap ? [BOOTSTRAP_STEP] : []), ...node.steps.map((s) => s.name)];
  if (stepName && !steps.includes(stepName)) throw new StalkerError('USAGE', `node ${nodeName} has no step ${stepName} (steps: ${steps.join(', ')})`);
  const paths = new LogPaths(project.logsDir, project.tree.name, run ?? 'latest');
  let shown = 0;
  for (const step of stepName ? [stepName] : steps) {
    const file = run ? paths.stepInRun(nodeName, step) : paths.stepLatest(nodeName, step);
    if (!existsSync(file)) continue;
    if (!stepName) process.stdout.write(`==> ${nodeName}:${step} (${file}) <==\n`);
    process.stdout.write(await readFile(file));
    shown++;
  }
  if (!shown) throw new StalkerError('NOT_FOUND', `no logs for ${target}${run ? ` in run ${run}` : ''}: it has not run yet`);
  return 0;
}
