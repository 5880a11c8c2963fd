import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of one server, which a test can cut: `cut()` destroys
 * every proxied connection and refuses new ones (accepted, then closed at once) until
 * `restore()`. It cuts one client's connections while the server keeps serving everyone else,
 * which SIGSTOP or `CLIENT PAUSE` cannot do.
 */
export class CuttableProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #cut = false;
  /** Connections refused while cut: proves the client really tried to reconnect. */
  refused = 0;
  /** Connections destroyed by `cut()`. */
  severed = 0;

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Start a proxy to `targetHost:targetPort`; resolves once it listens. */
  static async start(targetHost: string, targetPort: number): Promise<CuttableProxy> {
    let proxy: CuttableProxy | undefined;
    const server = createServer((client) => proxy!.#accept(client, targetHost, targetPort));
    proxy = new CuttableProxy(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  /** The port clients connect to. */
  get port(): number {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy is not listening');
    return address.port;
  }

  /** Destroy every open connection and refuse new ones until {@link restore}. */
  cut(): void {
    this.#cut = true;
    for (const socket of this.#sockets) {
      socket.destroy();
      this.severed++;
    }
    this.#sockets.clear();
  }

  /** Accept and forward connections again. */
  restore(): void {
    this.#cut = false;
  }

  /** Close the proxy and every connection through it. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket, host: string, port: number): void {
    if (this.#cut) {
      this.refused++;
      client.destroy();
      return;
    }
    const upstream = createConnection({ host, port });
    this.#sockets.add(client);
    this.#sockets.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(upstream);
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
