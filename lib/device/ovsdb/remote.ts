import net from 'node:net';
import { SysdbError } from '../errors.js';

// Remotes are spelled like ovsdb-client's: unix:/path or tcp:host:port.
export type Remote = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export function parseRemote(text: string): Remote {
  if (text.startsWith('unix:') && text.length > 5) return { kind: 'unix', path: text.slice(5) };
  const tcp = /^tcp:(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text);
  if (tcp) return { kind: 'tcp', host: tcp[1].replace(/^\[|\]$/g, ''), port: Number(tcp[2]) };
  throw new SysdbError('BAD_REMOTE', `bad remote "${text}": expected unix:<path> or tcp:<host>:<port>`);
}

export function connectRemote(remote: Remote): net.Socket {
  return remote.kind === 'unix' ? net.createConnection(remote.path) : net.createConnection(remote.port, remote.host);
}

export function formatRemote(remote: Remote): string {
  return remote.kind === 'unix' ? `unix:${remote.path}` : `tcp:${remote.host}:${remote.port}`;
}
