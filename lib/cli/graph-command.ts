// `stalker graph --config T --format dot|svg [--output FILE]`: the DAG picture, colored by the
// cache state the plan finds (no container runs).
import { writeFile } from 'node:fs/promises';
import { ImageIndex } from '../cache/image-index.js';
import { openEngine } from '../engine/open-engine.js';
import { StalkerError } from '../errors.js';
import { dotToSvg, toDot } from '../inspect/graph-dot.js';
import { planTree } from '../plan/plan.js';
import { openProject } from './project.js';

export interface GraphFlags { config?: string; format?: string; output?: string }

export async function graphCommand(flags: GraphFlags): Promise<number> {
  const format = flags.format ?? 'dot';
  if (format !== 'dot' && format !== 'svg') throw new StalkerError('USAGE', `--format ${format}: expected dot or svg`);
  const project = await openProject(flags.config);
  const engine = openEngine();
  const plan = await planTree({ tree: project.tree, engine, index: await ImageIndex.load(engine) });
  const dot = toDot(project.tree, plan);
  const text = format === 'svg' ? await dotToSvg(dot) : dot;
  if (flags.output) {
    await writeFile(flags.output, text);
    process.stderr.write(`wrote ${flags.output}\n`);
  } else {
    process.stdout.write(text);
  }
  return 0;
}
