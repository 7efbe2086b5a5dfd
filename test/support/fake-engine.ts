// An in-memory engine behind the port, for unit tests of the runners, the plan and the build:
// images are file maps with labels and tags; a container's "run" hands its file map, its staged
// script and env to a function the test controls. It cannot see host paths, so every step input
// goes in through putArchive and volumes, as it would on a remote engine.
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { extract, pack } from 'tar-stream';
import type {
  AttachedIo,
  CommitOptions,
  ContainerClient,
  ContainerSpec,
  ContainerSummary,
  Engine,
  EngineDescription,
  ImageClient,
  ImageDetails,
  ImageSummary,
  ImportOptions,
  Labels,
  OutputStream,
} from '../../lib/engine/engine-port.js';

export type Files = Map<string, Buffer>; // absolute path -> content (directories are implied)

export interface FakeImage extends ImageDetails {
  files: Files;
}

export interface FakeRun {
  id: string;
  spec: ContainerSpec;
  files: Files; // the container's filesystem: what the script leaves here is committed
  script: string; // the staged step script, read from the container as the entry shim would
  env: Record<string, string>; // the staged env file, parsed
  print(line: string, stream?: OutputStream): void;
  /** Resolves when the container is removed (e.g. on Ctrl-C) while it runs. */
  removed: Promise<void>;
}

/** What a step's script does in the fake: its exit code. The default runs nothing and exits 0. */
export type FakeScript = (run: FakeRun) => number | Promise<number>;

interface FakeContainer {
  id: string;
  spec: ContainerSpec;
  files: Files;
  state: 'created' | 'running' | 'exited';
  gone: () => void;
  removed: Promise<void>;
}

const matches = (have: Labels, want: Labels) => Object.entries(want).every(([k, v]) => (v === '' ? k in have : have[k] === v));

async function untar(tar: Buffer | Readable, into: Files, at: string): Promise<void> {
  const x = extract();
  const base = at.replace(/\/+$/, '');
  x.on('entry', (h, body, next) => {
    const chunks: Buffer[] = [];
    body.on('data', (c: unknown) => {
      chunks.push(c as Buffer);
    });
    body.on('end', () => {
      const name = h.name.replace(/^\.?\/+/, '').replace(/\/+$/, '');
      if (h.type === 'file' && name) into.set(`${base}/${name}`, Buffer.concat(chunks));
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => x.on('finish', resolve).on('error', reject));
  if (Buffer.isBuffer(tar)) x.end(tar);
  else tar.pipe(x);
  await done;
}

function tarOf(files: [string, Buffer][]): Readable {
  const p = pack();
  for (const [name, content] of files) p.entry({ name, mode: 0o644 }, content);
  p.finalize();
  return Readable.from(p);
}

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/^export (\w+)='((?:[^']|'\\'')*)'$/gm)) env[m[1]] = m[2].replace(/'\\''/g, "'");
  return env;
}

export class FakeEngine implements Engine {
  readonly kind = 'fake';
  readonly seesHostPaths = false;
  readonly store = new Map<string, FakeImage>();
  readonly live = new Map<string, FakeContainer>();
  readonly volumes = new Map<string, Files>();
  readonly calls: string[] = []; // "create node:step", "commit repo:tag", ... for tests that count engine work
  script: FakeScript = () => 0;
  private n = 0;
  readonly images: ImageClient;
  readonly containers: ContainerClient;

  /** `idSalt`: a prefix of its image ids, so two fakes of one test (several engines) never share an id by chance. */
  constructor(
    readonly executor = 'fake',
    private readonly idSalt = '',
  ) {
    this.images = this.imageClient();
    this.containers = this.containerClient();
  }

  async ping(): Promise<string> {
    return 'fake';
  }

  async describe(): Promise<EngineDescription> {
    return { kind: this.kind, executor: this.executor, native: ['linux/amd64'], emulated: ['linux/arm64'], seesHostPaths: false };
  }

  private newId(): string {
    return `sha256:${this.idSalt}${(++this.n).toString(16).padStart(64 - this.idSalt.length, '0')}`;
  }

  private find(ref: string): FakeImage | undefined {
    return this.store.get(ref) ?? [...this.store.values()].find((i) => i.tags.includes(ref));
  }

  private addImage(files: Files, labels: Labels, platform: string, repoTag: string, cmd: string[] | null): string {
    const id = this.newId();
    for (const i of this.store.values()) i.tags = i.tags.filter((t) => t !== repoTag);
    const [os, architecture] = platform.split('/');
    this.store.set(id, { id, tags: [repoTag], labels, created: this.n, architecture, os, cmd, env: [], files: new Map(files) });
    return id;
  }

  private imageClient(): ImageClient {
    const summary = (i: FakeImage): ImageSummary => ({ id: i.id, tags: [...i.tags], labels: { ...i.labels }, created: i.created });
    return {
      list: async (labels) => [...this.store.values()].filter((i) => matches(i.labels, labels)).map(summary),
      inspect: async (ref) => {
        const i = this.find(ref);
        return i && { ...summary(i), architecture: i.architecture, os: i.os, cmd: i.cmd, env: [] };
      },
      tag: async (id, repo, tag) => {
        const full = `${repo}:${tag}`;
        for (const i of this.store.values()) i.tags = i.tags.filter((t) => t !== full);
        this.find(id)!.tags.push(full);
      },
      remove: async (ref) => {
        const i = this.find(ref);
        if (i) this.store.delete(i.id);
      },
      // save/load: an opaque stream of the image (as docker save/load are), keeping its id.
      save: async (id) => {
        const i = this.find(id)!;
        this.calls.push(`save ${id}`);
        return Readable.from([JSON.stringify({ ...i, tags: [], files: [...i.files].map(([p, b]) => [p, b.toString('base64')]) })]);
      },
      load: async (archive) => {
        let text = '';
        for await (const c of archive) text += String(c);
        const i = JSON.parse(text) as FakeImage & { files: [string, string][] };
        this.calls.push(`load ${i.id}`);
        this.store.set(i.id, { ...i, files: new Map(i.files.map(([p, b]) => [p, Buffer.from(b, 'base64')])) });
      },
      importTar: async (file: string, o: ImportOptions) => {
        const files: Files = new Map();
        await untar(readFileSync(file), files, '');
        this.calls.push(`import ${o.repo}:${o.tag}`);
        return this.addImage(files, o.labels, o.platform, `${o.repo}:${o.tag}`, ['/bin/sh']);
      },
    };
  }

  private containerClient(): ContainerClient {
    const get = (id: string) => {
      const c = this.live.get(id);
      if (!c) throw new Error(`fake engine: no container ${id}`);
      return c;
    };
    return {
      create: async (spec) => {
        const image = this.find(spec.image);
        if (!image) throw new Error(`fake engine: no image ${spec.image}`);
        if (spec.binds.length) throw new Error('fake engine: it cannot see host paths, yet got binds');
        const id = `c${++this.n}`;
        let gone = () => {};
        const removed = new Promise<void>((resolve) => {
          gone = resolve;
        });
        const files = new Map(image.files);
        for (const v of spec.volumes ?? []) if (v.name) for (const [p, b] of this.volumes.get(v.name) ?? []) files.set(`${v.target}/${p}`, b);
        this.live.set(id, { id, spec, files, state: 'created', gone, removed });
        this.calls.push(`create ${spec.labels['stalker.node']}:${spec.labels['stalker.step']}`);
        return id;
      },
      putArchive: async (id, tar, path) => untar(tar, get(id).files, path),
      getArchive: async (id, path) => {
        const c = get(id);
        const top = path.slice(path.lastIndexOf('/') + 1);
        const hits = [...c.files].filter(([p]) => p === path || p.startsWith(`${path}/`));
        return hits.length ? tarOf(hits.map(([p, b]) => [top + p.slice(path.length), b])) : undefined;
      },
      run: async (id, onOutput) => {
        const c = get(id);
        c.state = 'running';
        const text = (p: string) => c.files.get(p)?.toString() ?? '';
        const run: FakeRun = {
          id,
          spec: c.spec,
          files: c.files,
          script: text('/run/stalker/script'),
          env: parseEnv(text('/run/stalker/env')),
          print: (line, stream = 'stdout') => onOutput(stream, Buffer.from(`${line}\n`)),
          removed: c.removed,
        };
        const code = await Promise.race([Promise.resolve(this.script(run)), c.removed.then(() => 137)]);
        c.state = 'exited';
        return code;
      },
      runAttached: async (_id: string, _io: AttachedIo) => 0,
      commit: async (id, o: CommitOptions) => {
        const c = get(id);
        // Volumes are the engine's, not the container's: never committed. Named ones persist.
        const files: Files = new Map();
        for (const [p, b] of c.files) {
          const v = (c.spec.volumes ?? []).find((x) => p.startsWith(`${x.target}/`));
          if (!v) files.set(p, b);
          else if (v.name) this.volumes.set(v.name, (this.volumes.get(v.name) ?? new Map()).set(p.slice(v.target.length + 1), b));
        }
        this.calls.push(`commit ${o.repo}:${o.tag}`);
        return this.addImage(files, o.labels, c.spec.platform, `${o.repo}:${o.tag}`, this.find(c.spec.image)?.cmd ?? null);
      },
      remove: async (id) => {
        const c = this.live.get(id);
        this.live.delete(id);
        c?.gone();
      },
      list: async (labels): Promise<ContainerSummary[]> =>
        [...this.live.values()].filter((c) => matches(c.spec.labels, labels)).map((c) => ({ id: c.id, labels: c.spec.labels, state: c.state })),
      export: async (id) => tarOf([...get(id).files].map(([p, b]) => [p.slice(1), b])),
    };
  }

  /** A file in an image, by tag or id. */
  file(ref: string, path: string): string | undefined {
    return this.find(ref)?.files.get(path)?.toString();
  }
}

/**
 * A tiny script language for fake steps, one command a line after the shebang: `write PATH TEXT`,
 * `append PATH TEXT` ($NAME takes the step's variable), `copy FROM TO`, `echo TEXT`, `fail CODE`,
 * `hang` (until the container is removed).
 */
export const lineScript =
  (onHang?: (run: FakeRun) => void): FakeScript =>
  async (run) => {
    const expand = (s: string) => s.replace(/\$(\w+)/g, (_m, n: string) => run.env[n] ?? '');
    for (const line of run.script.split('\n').slice(1)) {
      const [op, a = '', ...rest] = line.trim().split(' ');
      const text = expand(rest.join(' '));
      switch (op) {
        case 'write':
          run.files.set(a, Buffer.from(`${text}\n`));
          break;
        case 'append':
          run.files.set(a, Buffer.concat([run.files.get(a) ?? Buffer.alloc(0), Buffer.from(`${text}\n`)]));
          break;
        case 'copy':
          run.files.set(rest[0], run.files.get(a) ?? Buffer.alloc(0));
          break;
        case 'echo':
          run.print(expand([a, ...rest].join(' ')));
          break;
        case 'fail':
          run.print(`failing with ${a}`, 'stderr');
          return Number(a);
        case 'hang':
          onHang?.(run);
          await run.removed;
          return 137;
        default:
          break;
      }
    }
    return 0;
  };
