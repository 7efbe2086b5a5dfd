// How stalker reaches a Docker daemon. dockerode (with docker-modem: tcp with TLS, ssh, streams,
// attach demuxing) is loaded on the first call that needs it, not at start: it pulls in grpc,
// protobufjs and ssh2, which cost a fully cached build more than the rest of its work. The reads
// such a build makes (list images, list containers) go straight over the local daemon's unix
// socket with node:http, the same Engine API request dockerode would send.
import type Docker from 'dockerode';
import { request } from 'node:http';
import { createRequire } from 'node:module';

const DEFAULT_SOCKET = '/var/run/docker.sock';

export interface DockerApi {
  /** dockerode, created on first use. */
  client(): Docker;
  /** GET an Engine API path as JSON straight over a local daemon's unix socket; through dockerode (`viaClient`) otherwise. */
  getJson<T>(path: string, query: Record<string, string>, viaClient: (d: Docker) => Promise<T>): Promise<T>;
}

/** The unix socket of a DOCKER_HOST-style address; undefined for tcp:// and ssh://. */
export function unixSocketOf(host: string | undefined): string | undefined {
  if (!host) return DEFAULT_SOCKET;
  return host.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
}

/** A DOCKER_HOST-style address as dockerode takes it (unix sockets; tcp and ssh as DOCKER_HOST). */
function dockerAt(host: string | undefined): Docker {
  const Dockerode = createRequire(import.meta.url)('dockerode') as typeof Docker;
  const socket = unixSocketOf(host);
  if (socket) return new Dockerode({ socketPath: socket });
  const saved = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = host; // dockerode parses tcp:// (with DOCKER_TLS_VERIFY/CERT_PATH) and ssh:// from here
  try {
    return new Dockerode();
  } finally {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  }
}

/** An error shaped as docker-modem's: statusCode and "(HTTP code N) reason - message". */
function httpError(status: number, body: string): Error {
  let message = body.trim();
  try {
    message = (JSON.parse(body) as { message?: string }).message ?? message;
  } catch {
    // not JSON: the body as it came
  }
  return Object.assign(new Error(`(HTTP code ${status}) ${message}`), { statusCode: status });
}

function getOverSocket<T>(socketPath: string, path: string, query: Record<string, string>): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, path: Object.keys(query).length ? `${path}?${new URLSearchParams(query)}` : path, headers: { Host: 'docker' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) return reject(httpError(status, body));
          try {
            resolve(JSON.parse(body) as T);
          } catch (e) {
            reject(new Error(`${path}: the daemon's answer is not JSON: ${(e as Error).message}`));
          }
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** `host`: a DOCKER_HOST-style address (undefined: the default socket); `injected`: a client to use (tests). */
export function dockerApi(host: string | undefined, injected?: Docker): DockerApi {
  let docker = injected;
  const client = () => (docker ??= dockerAt(host));
  const socket = injected ? undefined : unixSocketOf(host);
  return {
    client,
    getJson: <T>(path: string, query: Record<string, string>, viaClient: (d: Docker) => Promise<T>) =>
      socket ? getOverSocket<T>(socket, path, query) : viaClient(client()),
  };
}
