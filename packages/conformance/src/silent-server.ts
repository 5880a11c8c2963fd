import { createServer, type Socket } from 'node:net';
import type { SilentServerAddress } from './options.js';

/** A TCP server on 127.0.0.1 that accepts every connection and never sends a byte. */
export interface SilentServer {
  readonly address: SilentServerAddress;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Drop every connection and stop listening. */
  close(): Promise<void>;
}

/** Start a {@link SilentServer} on a free port. */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as { port: number }).port;
  return {
    address: { host: '127.0.0.1', port },
    get accepted() {
      return accepted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
