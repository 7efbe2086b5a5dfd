import net from 'node:net';
import { SysdbError } from '../errors.js';

// Remotes are spelled like ovsdb-client's (unix:/path, tcp:host:port), plus ssh://[user@]host[:port]
// for remote administration through OpenSSH's unix-socket forwarding (see ssh-tunnel.ts).
export type Remote =
  { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number } | { kind: 'ssh'; user?: string; host: string; port?: number; socket: string };

export const DEVICE_SOCKET = '/run/sysdb/sysdb.sock';
const EXPECTED = 'expected unix:<path>, tcp:<host>:<port> or ssh://[user@]host[:port]';

function port(text: string, remote: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new SysdbError('BAD_REMOTE', `bad remote "${remote}": port ${text} is not in 1..65535`);
  return n;
}

export function parseRemote(text: string): Remote {
  if (text.startsWith('unix:') && text.length > 5) return { kind: 'unix', path: text.slice(5) };
  const tcp = /^tcp:(\[[^\]]+\]|[^:]+):(\d+)$/.exec(text);
  if (tcp) {
    const host = tcp[1].replace(/^\[|\]$/g, '');
    if (!net.isIP(host) && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host))
      throw new SysdbError('BAD_REMOTE', `bad remote "${text}": bad host "${host}"`);
    return { kind: 'tcp', host, port: port(tcp[2], text) };
  }
  // The user and host end up as ssh arguments: a leading "-" would be read as an option.
  const ssh = /^ssh:\/\/(?:([A-Za-z0-9_][A-Za-z0-9_.-]*)@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*)(?::(\d+))?(\/[^\s,]*)?$/.exec(text);
  if (ssh) {
    const socket = ssh[4] && ssh[4] !== '/' ? ssh[4] : DEVICE_SOCKET;
    return { kind: 'ssh', user: ssh[1], host: ssh[2].replace(/^\[|\]$/g, ''), port: ssh[3] ? port(ssh[3], text) : undefined, socket };
  }
  throw new SysdbError('BAD_REMOTE', `bad remote "${text}": ${EXPECTED}`);
}

/** Connects a unix or tcp remote; ssh remotes are first turned into a local unix socket by a tunnel. */
export function connectRemote(remote: Remote): net.Socket {
  if (remote.kind === 'ssh') throw new SysdbError('BAD_REMOTE', 'an ssh remote needs its tunnel first');
  return remote.kind === 'unix' ? net.createConnection(remote.path) : net.createConnection(remote.port, remote.host);
}

export function formatRemote(remote: Remote): string {
  switch (remote.kind) {
    case 'unix':
      return `unix:${remote.path}`;
    case 'tcp':
      return `tcp:${remote.host}:${remote.port}`;
    case 'ssh':
      return `ssh://${remote.user ? `${remote.user}@` : ''}${remote.host}${remote.port ? `:${remote.port}` : ''}`;
  }
}
