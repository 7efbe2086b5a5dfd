import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The audit entry's `who`. Over ssh this runs on the device, where sshd (ExposeAuthInfo yes) names the
 * key that authenticated the session in the file SSH_USER_AUTH (`publickey ssh-ed25519 AAAA...`):
 * that key, not anything the client says, identifies the writer. Only root reaches /run/sysdb, so
 * the session's environment is sshd's to trust. Elsewhere it is the local user (sudo's caller first).
 */
export function who(env: NodeJS.ProcessEnv = process.env): string {
  const user = env.SUDO_USER || os.userInfo().username;
  const key = sshKey(env);
  return `${user}@${os.hostname()}${key ? ` via ssh key ${key}` : ''}`;
}

function sshKey(env: NodeJS.ProcessEnv): string | undefined {
  const info = env.SSH_USER_AUTH && readText(env.SSH_USER_AUTH);
  const line = info?.split('\n').find((l) => l.startsWith('publickey '));
  if (!line) return undefined;
  const [, type, blob] = line.trim().split(/\s+/);
  if (!type || !blob) return undefined;
  const fingerprint = `SHA256:${createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64').replace(/=+$/, '')}`;
  const comment = keyComment(type, blob, env);
  return comment ? `${fingerprint} (${comment})` : fingerprint;
}

/**
 * The comment the authorized_keys line of this key carries (usually who owns it). Options may come
 * first (`from="..." ssh-ed25519 AAAA... alice@laptop`), so the key is found by its blob.
 * SYSDB_AUTHORIZED_KEYS names another file (tests; a server with another AuthorizedKeysFile).
 */
function keyComment(type: string, blob: string, env: NodeJS.ProcessEnv): string | undefined {
  // the build-time keys, then the ones Sysdb's User row gave (the user agent's file, read by sshd too)
  const files = env.SYSDB_AUTHORIZED_KEYS
    ? [env.SYSDB_AUTHORIZED_KEYS]
    : [path.join(os.userInfo().homedir, '.ssh', 'authorized_keys'), path.join('/etc/ssh/authorized_keys.d', os.userInfo().username)];
  const text = files.map((f) => readText(f) ?? '').join('\n');
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    const at = words.indexOf(blob);
    if (at < 1 || words[at - 1] !== type) continue;
    // A comment is free text: no control characters in the log, and a bounded length.
    const comment = words
      .slice(at + 1)
      .join(' ')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f]/g, '')
      .slice(0, 100);
    return comment || undefined;
  }
  return undefined;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
