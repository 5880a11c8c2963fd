import { createServer, type Socket } from 'node:net';

/** A TCP server on 127.0.0.1 that accepts connections and never answers: a stalled server. */
export interface SilentServer {
  port: number;
  /** Drop every connection and stop listening. */
  close(): Promise<void>;
}

/**
 * Start a server that accepts connections but never replies, so a test can check that a
 * client's calls end with a timeout instead of hanging (a real server cannot be told to stall
 * for one client; SIGSTOP would stall it for every suite).
 */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the silent server has no TCP port');
  return {
    port: address.port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
