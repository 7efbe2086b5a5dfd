// `stalker logs <node>[:<step>]`: the step logs of the latest run of each step, in step order;
// `--run ID` those of one run; `-f` follows the newest run (or --run) while it writes them.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { openEngine } from '../engine/open-engine.js';
import { imageRef } from '../engine/image-names.js';
import { LABEL } from '../engine/labels.js';
import { StalkerError } from '../errors.js';
import { followLogs } from '../inspect/follow-logs.js';
import { resolveRun } from '../inspect/run-select.js';
import { LogPaths } from '../logs/log-paths.js';
import { stepNamesOf } from '../plan/node-steps.js';
import { openProject, type Project } from './project.js';

export interface LogsFlags {
  config?: string;
  run?: string;
  follow?: boolean;
}

export async function logsCommand(flags: LogsFlags, target: string | undefined): Promise<number> {
  const project = await openProject(flags.config);
  if (!target) throw new StalkerError('USAGE', 'usage: stalker logs <node>[:<step>] --config <tree> [--run ID] [-f]');
  const [nodeName, stepName] = target.split(':');
  const node = project.tree.nodes.get(nodeName);
  if (!node) throw new StalkerError('USAGE', `no node ${nodeName} in tree ${project.tree.name} (nodes: ${[...project.tree.nodes.keys()].join(', ')})`);
  const steps = stepNamesOf(node);
  if (stepName && !steps.includes(stepName)) throw new StalkerError('USAGE', `node ${nodeName} has no step ${stepName} (steps: ${steps.join(', ')})`);
  if (flags.follow) {
    const run = await resolveRun(project.logsDir, project.tree.name, flags.run ?? 'newest');
    process.stderr.write(`following run ${run.id} (Ctrl-C to stop)\n`);
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.once('SIGINT', stop);
    try {
      return await followLogs(run, { node: nodeName, steps, step: stepName }, { out: process.stdout, signal: abort.signal });
    } finally {
      process.off('SIGINT', stop);
    }
  }
  const paths = flags.run
    ? (await resolveRun(project.logsDir, project.tree.name, flags.run)).paths
    : new LogPaths(project.logsDir, project.tree.name, 'latest');
  let shown = 0;
  for (const step of stepName ? [stepName] : steps) {
    const file = flags.run ? paths.stepInRun(nodeName, step) : paths.stepLatest(nodeName, step);
    if (!existsSync(file)) continue;
    if (!stepName) process.stdout.write(`==> ${nodeName}:${step} (${file}) <==\n`);
    process.stdout.write(await readFile(file));
    shown++;
  }
  if (!shown)
    throw new StalkerError(
      'NOT_FOUND',
      flags.run
        ? `no logs for ${target} in run ${paths.run}: it did not run there (cached, skipped or not reached)`
        : await whyNoLog(project, flags.config!, nodeName, stepName ?? steps[0]),
    );
  return 0;
}

/** A step with no log here either never ran or was built elsewhere (another clone, removed logs). */
async function whyNoLog(project: Project, config: string, node: string, step: string): Promise<string> {
  const ref = imageRef(project.tree.repository, node, step);
  const image = await openEngine()
    .images.inspect(ref)
    .catch(() => undefined);
  const rerun = `\`stalker --config ${config} --rebuild ${node}\` runs it again and logs it`;
  if (!image) return `no logs for ${node}:${step} in ${project.logsDir}: it has not run yet`;
  const run = image.labels[LABEL.run];
  const pulled = image.labels[LABEL.pulledFrom];
  if (pulled) {
    const origin = `run ${image.labels[LABEL.originRun] ?? '(unknown)'} of tree ${image.labels[LABEL.originTree] ?? '(unknown)'}`;
    return `no logs for ${node}:${step} in ${project.logsDir}: its image ${ref} was pulled from ${pulled} by run ${run ?? '(unknown)'}; ${origin} built it on another machine, whose logs are there; ${rerun}`;
  }
  return `no logs for ${node}:${step} in ${project.logsDir}: its image ${ref} was built by run ${run ?? '(unknown)'}, whose logs are not here (another checkout, or removed); ${rerun}`;
}
