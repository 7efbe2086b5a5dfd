// Hand-made resolved trees for unit tests on the fake engine: a tarball root (a real tar file with
// one file) and stalk steps whose scripts are the text the fake engine's script function reads.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pack } from 'tar-stream';
import type { NodeCopy, ResolvedNode, ResolvedStep, ResolvedTree } from '../../lib/config/types.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

export interface StepDef {
  name: string;
  run: string;
  env?: Record<string, string>;
  cache?: boolean;
}
export interface NodeDef {
  from?: string;
  needs?: string[];
  copies?: NodeCopy[];
  steps?: StepDef[];
  platform?: `linux/${string}`;
  bootstrap?: 'tarball' | { image: string };
  writer?: Record<string, unknown>;
}

export interface FakeProject {
  dir: string;
  tree: (nodes: Record<string, NodeDef>) => ResolvedTree;
  cleanup: () => void;
}

async function rootTar(file: string): Promise<string> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve) => p.on('end', () => resolve()));
  p.entry({ name: 'etc/os-release', mode: 0o644, mtime: new Date(0) }, 'ID=fake\n');
  p.finalize();
  await done;
  const tar = Buffer.concat(chunks);
  writeFileSync(file, tar);
  return sha(tar);
}

export async function fakeProject(repository: string): Promise<FakeProject> {
  const dir = mkdtempSync(join(tmpdir(), `stalker-fake-${repository}-`));
  const file = join(dir, 'root.tar');
  const sha256 = await rootTar(file);
  const step = (node: string, d: StepDef, copies: NodeCopy[]): ResolvedStep => {
    const content = Buffer.from(`#!/bin/sh -e\n${d.run}\n`);
    return {
      node,
      name: d.name,
      script: { origin: `${node}#${d.name}`, content, sha256: sha(content) },
      args: [],
      env: d.env ?? {},
      secrets: [],
      cache: d.cache ?? true,
      mounts: [],
      caches: [{ name: 'apt', target: '/var/cache/apt' }],
      files: [],
      copies,
    };
  };
  const tree = (nodes: Record<string, NodeDef>): ResolvedTree => ({
    name: repository,
    file: join(dir, `${repository}.hjson`),
    root: dir,
    repository,
    platform: 'linux/amd64',
    nodes: new Map(
      Object.entries(nodes).map(([name, d]): [string, ResolvedNode] => [
        name,
        {
          name,
          from: d.from,
          needs: d.needs ?? [],
          copies: d.copies ?? [],
          platform: d.platform ?? 'linux/amd64',
          vars: {},
          source: { file: 'x' },
          ...(d.bootstrap === 'tarball' ? { bootstrap: { kind: 'tarball' as const, file, sha256 } } : {}),
          ...(typeof d.bootstrap === 'object' ? { bootstrap: { kind: 'image' as const, ref: d.bootstrap.image } } : {}),
          ...(d.writer ? { writer: { options: d.writer } } : {}),
          steps: (d.steps ?? []).map((s, i) => step(name, s, i === 0 ? (d.copies ?? []) : [])),
        },
      ]),
    ),
  });
  return { dir, tree, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
