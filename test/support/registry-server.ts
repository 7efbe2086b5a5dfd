// Debian's docker-registry (Distribution 2.8) on 127.0.0.1 with its own storage dir, for tests
// and the benchmark. Docker pushes to loopback registries over plain http without configuration.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RegistryServer {
  host: string; // 127.0.0.1:PORT
  storage: string; // its filesystem storage root
  start(): Promise<void>; // (again, after stop: same port, same storage)
  stop(): Promise<void>;
  cleanup(): Promise<void>; // stop and remove the storage
}

export const REGISTRY_BIN = '/usr/bin/docker-registry';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
      .listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      })
      .on('error', reject);
  });
}

export async function startRegistry(): Promise<RegistryServer> {
  const dir = mkdtempSync(join(tmpdir(), 'stalker-registry-'));
  const port = await freePort();
  const storage = join(dir, 'storage');
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log: { level: error }',
      `storage: { filesystem: { rootdirectory: ${storage} }, delete: { enabled: true } }`,
      `http: { addr: 127.0.0.1:${port} }`,
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  const host = `127.0.0.1:${port}`;
  const server: RegistryServer = {
    host,
    storage,
    async start() {
      child = spawn(REGISTRY_BIN, ['serve', config], { stdio: 'ignore' });
      for (let i = 0; i < 100; i++) {
        const up = await fetch(`http://${host}/v2/`).then(
          (r) => r.ok,
          () => false,
        );
        if (up) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`docker-registry on ${host} did not answer`);
    },
    async stop() {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null) return;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await gone;
    },
    async cleanup() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
