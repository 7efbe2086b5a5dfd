// A node's copies from other nodes: each path is read from a container of the source node's final
// image (created, never started, one per source node) and put into the step's container under its
// new name, streamed through a tar rewrite so nothing is held whole in memory or unpacked on the host.
import { Readable } from 'node:stream';
import { extract, pack } from 'tar-stream';
import type { NodeCopy } from '../config/types.js';
import { StalkerError } from '../errors.js';
import { type BuildContext, runLabels } from './build-context.js';

export interface CopyTarget {
  node: string;
  step: string;
  container: string;
  needs: Record<string, string>;
}

export async function copyFromNodes(ctx: BuildContext, copies: NodeCopy[], to: CopyTarget): Promise<void> {
  // one container per source node, however many paths it gives; copies keep their order
  const sources = new Map<string, string>();
  const sourceOf = async (from: string): Promise<string> => {
    const known = sources.get(from);
    if (known) return known;
    const node = ctx.tree.nodes.get(from);
    const image = to.needs[from];
    if (!node || !image) throw new StalkerError('NOT_FOUND', `step ${to.node}:${to.step}: copy from ${from}: that node has no image`);
    const id = await ctx.session.create({
      image,
      platform: node.platform,
      cmd: ['/copy-source-never-runs'],
      labels: runLabels(ctx, to.node, to.step),
      binds: [],
    });
    sources.set(from, id);
    return id;
  };
  try {
    for (const c of copies) {
      const tar = await ctx.session.engine.containers.getArchive(await sourceOf(c.from), c.src);
      if (!tar) throw new StalkerError('NOT_FOUND', `step ${to.node}:${to.step}: copy from ${c.from}: ${c.src} does not exist in ${c.from}'s final image`);
      await ctx.session.engine.containers.putArchive(to.container, renamed(tar, c.src, c.dest), '/');
    }
  } finally {
    for (const id of sources.values()) await ctx.session.remove(id);
  }
}

/** The archive of `src` (entries named after its last component) with every entry moved to `dest`. */
export function renamed(tar: Readable, src: string, dest: string): Readable {
  const top = src.slice(src.lastIndexOf('/') + 1);
  const to = dest.replace(/^\/+/, '');
  const move = (name: string) => {
    const n = name.replace(/\/+$/, '');
    if (n === top) return to + name.slice(n.length);
    if (n.startsWith(`${top}/`)) return to + name.slice(top.length);
    throw new StalkerError('ENGINE', `copy of ${src}: unexpected entry ${name} in the engine's archive`);
  };
  const input = extract();
  const output = pack();
  input.on('entry', (header, body, next) => {
    try {
      header.name = move(header.name);
      if (header.type === 'link' && header.linkname) header.linkname = move(header.linkname);
    } catch (err) {
      input.destroy(err as Error);
      return;
    }
    body.pipe(output.entry(header, next));
  });
  input.on('finish', () => output.finalize());
  input.on('error', (err) => output.destroy(err));
  tar.on('error', (err) => output.destroy(err));
  tar.pipe(input);
  return Readable.from(output); // tar-stream's streams are streamx ones; the engine wants a Node stream
}
