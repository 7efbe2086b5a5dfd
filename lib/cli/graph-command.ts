// `stalker graph --config T --format dot|svg [--output FILE]`: the DAG picture, colored by the
// cache state the plan finds (no container runs).
import { statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { errnoText } from '../config/path-kind.js';
import { ImageIndex } from '../cache/image-index.js';
import { openEngine } from '../engine/open-engine.js';
import { StalkerError } from '../errors.js';
import { dotToSvg, toDot } from '../inspect/graph-dot.js';
import { planTree } from '../plan/plan.js';
import { openProject } from './project.js';

export interface GraphFlags {
  config?: string;
  format?: string;
  output?: string;
}

export async function graphCommand(flags: GraphFlags): Promise<number> {
  const format = flags.format ?? 'dot';
  if (format !== 'dot' && format !== 'svg') throw new StalkerError('USAGE', `--format ${format}: expected dot or svg`);
  if (flags.output) checkOutputDir(flags.output); // before planning, which may take a while
  const project = await openProject(flags.config);
  const engine = openEngine();
  const plan = await planTree({ tree: project.tree, engine, index: await ImageIndex.load(engine) });
  const dot = toDot(project.tree, plan);
  const text = format === 'svg' ? await dotToSvg(dot) : dot;
  if (flags.output) {
    await writeFile(flags.output, text).catch((err: unknown) => {
      throw new StalkerError('USAGE', `--output: cannot write: ${errnoText(flags.output as string, err)}`);
    });
    process.stderr.write(`wrote ${flags.output}\n`);
  } else {
    process.stdout.write(text);
  }
  return 0;
}

function checkOutputDir(output: string): void {
  const dir = dirname(resolve(output));
  let ok = false;
  try {
    ok = statSync(dir).isDirectory();
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? `directory ${dir} does not exist` : errnoText(dir, err);
    throw new StalkerError('USAGE', `--output ${output}: ${why}`);
  }
  if (!ok) throw new StalkerError('USAGE', `--output ${output}: ${dir} is not a directory`);
}
