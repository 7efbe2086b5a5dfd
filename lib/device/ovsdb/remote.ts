import net from 'node:net';
import { SysdbError } from '../errors.js';

// Remotes are spelled like ovsdb-client's (unix:/path, tcp:host:port), plus ssh://[user@]host[:port][/socket]
// for remote administration: the CLI then runs the device's own sysdb over ssh (cli/ssh-remote.ts),
// so only the CLI takes it; the client itself speaks to unix and tcp remotes. `socket` is set only
// when the URL names one (the device's CLI defaults to its own socket).
export type SshRemote = { kind: 'ssh'; user?: string; host: string; port?: number; socket?: string };
export type Remote = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number } | SshRemote;

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
    const socket = ssh[4] && ssh[4] !== '/' ? ssh[4] : undefined;
    return { kind: 'ssh', user: ssh[1], host: ssh[2].replace(/^\[|\]$/g, ''), port: ssh[3] ? port(ssh[3], text) : undefined, socket };
  }
  throw new SysdbError('BAD_REMOTE', `bad remote "${text}": ${EXPECTED}`);
}

/** An ssh remote is not a socket: the sysdb CLI runs the device's own CLI through it (cli/ssh-remote.ts). */
export function sshRemoteRefused(remote: SshRemote): SysdbError {
  return new SysdbError(
    'BAD_REMOTE',
    `${formatRemote(remote)}: ssh remotes are for the sysdb CLI (it runs sysdb on the device); a client connects to unix:PATH or tcp:HOST:PORT`,
  );
}

/** Connects a unix or tcp remote. */
export function connectRemote(remote: Remote): net.Socket {
  if (remote.kind === 'ssh') throw sshRemoteRefused(remote);
  return remote.kind === 'unix' ? net.createConnection(remote.path) : net.createConnection(remote.port, remote.host);
}

export function formatRemote(remote: Remote): string {
  switch (remote.kind) {
    case 'unix':
      return `unix:${remote.path}`;
    case 'tcp':
      return `tcp:${remote.host}:${remote.port}`;
    case 'ssh':
      return `ssh://${remote.user ? `${remote.user}@` : ''}${remote.host.includes(':') ? `[${remote.host}]` : remote.host}${remote.port ? `:${remote.port}` : ''}${remote.socket ?? ''}`;
  }
}
