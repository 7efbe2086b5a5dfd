// `stalker explain <node>` and `stalker plan`: what would run, and which key part changed.
import { ImageIndex } from '../cache/image-index.js';
import { describeChange } from '../cache/key-diff.js';
import { DockerEngine } from '../engine/docker-engine.js';
import { StalkerError } from '../errors.js';
import { planTree } from '../plan/plan.js';
import { openProject } from './project.js';

export async function explainCommand(config: string | undefined, node: string | undefined): Promise<number> {
  const project = await openProject(config);
  if (node && !project.tree.nodes.has(node)) {
    throw new StalkerError('USAGE', `no node ${node} in tree ${project.tree.name} (nodes: ${[...project.tree.nodes.keys()].join(', ')})`);
  }
  const engine = new DockerEngine();
  const plan = await planTree({ tree: project.tree, engine, index: await ImageIndex.load(engine) });
  for (const p of plan.filter((p) => !node || p.node === node)) {
    process.stdout.write(`${p.node}\n`);
    for (const s of p.steps) {
      const why = s.reasons.map(describeChange).join(', ');
      const state = s.state === 'cached' ? `cached ${s.image?.slice(7, 19)}` : s.state === 'run' ? 'will run' : 'blocked';
      process.stdout.write(`  ${s.step}: ${state}${why ? ` — ${why}` : ''}\n`);
    }
  }
  return 0;
}
