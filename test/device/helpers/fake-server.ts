import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A misbehaving OVSDB server on a unix socket: `reply` decides what (if anything) goes back for each
 * request, so tests can send wrong ids, malformed documents or endless replies that ovsdb-server never would.
 */
export class FakeServer {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'sysdb-fake-'));
  readonly sock = path.join(this.dir, 'fake.sock');
  readonly remote = `unix:${this.sock}`;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(reply: (req: { method: string; params: unknown[]; id: unknown }, socket: net.Socket) => void) {
    this.server = net.createServer((s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => {});
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString();
        // requests from our client are single JSON texts per write; good enough for a fake
        for (;;) {
          const end = buf.indexOf('}{');
          const text = end >= 0 ? buf.slice(0, end + 1) : buf;
          try {
            reply(JSON.parse(text), s);
          } catch {
            return;
          }
          buf = end >= 0 ? buf.slice(end + 1) : '';
          if (!buf) return;
        }
      });
    });
  }

  listen(): Promise<void> {
    return new Promise((r) => this.server.listen(this.sock, r));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
