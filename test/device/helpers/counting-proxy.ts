// A unix-socket proxy in front of a server that counts the bytes the server sends back: how a
// test asserts how much a client read (a structural bound, where a time bound would be a guess).
import { rmSync } from 'node:fs';
import net from 'node:net';

export interface CountingProxy {
  remote: string;
  /** bytes sent from the server to clients since the last reset */
  received(): number;
  reset(): void;
  close(): Promise<void>;
}

export async function countingProxy(serverSock: string, proxySock: string): Promise<CountingProxy> {
  let received = 0;
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(serverSock);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => (s === client ? upstream : client).destroy());
    }
    upstream.on('data', (chunk: Buffer) => (received += chunk.length));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  rmSync(proxySock, { force: true });
  await new Promise<void>((resolve) => server.listen(proxySock, resolve));
  return {
    remote: `unix:${proxySock}`,
    received: () => received,
    reset: () => (received = 0),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
