import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * The one TCP proxy of the test suites: on 127.0.0.1 in front of a real server, it lets a test
 * do to one client's connections what the server cannot do for one client alone —
 * `cut()` destroys every proxied connection and refuses new ones (accepted, then closed at
 * once) until `restore()`; `delayReplies(ms)` holds back every chunk the server sends to the
 * client by `ms` (order kept), as a busy connection would.
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #cut = false;
  #replyDelayMs = 0;
  /** Connections refused while cut: proves the client really tried to reconnect. */
  refused = 0;
  /** Connections destroyed by `cut()`. */
  severed = 0;

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Start a proxy to `targetHost:targetPort`; resolves once it listens. */
  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => proxy!.#accept(client, targetHost, targetPort));
    proxy = new TcpProxy(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  /** Start a proxy in front of the server at a `redis://host:port` URL; `url` is the proxy's. */
  static async forUrl(target: string): Promise<TcpProxy & { url: string }> {
    const parsed = new URL(target);
    const proxy = await TcpProxy.start(parsed.hostname, Number(parsed.port));
    parsed.hostname = '127.0.0.1';
    parsed.port = String(proxy.port);
    return Object.assign(proxy, { url: parsed.toString().replace(/\/$/, '') });
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

  /** Hold every server → client chunk back by `ms` from now on (0: forward at once). */
  delayReplies(ms: number): void {
    this.#replyDelayMs = ms;
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
    // Replies go through a FIFO: a chunk leaves when its delay is over and every earlier one left.
    const queue: { at: number; chunk: Buffer }[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = (): void => {
      timer = undefined;
      while (queue.length > 0 && queue[0]!.at <= Date.now()) {
        const { chunk } = queue.shift()!;
        if (client.writable) client.write(chunk);
      }
      if (queue.length > 0) timer = setTimeout(flush, queue[0]!.at - Date.now());
    };
    upstream.on('data', (chunk: Buffer) => {
      if (this.#replyDelayMs === 0 && queue.length === 0) {
        client.write(chunk);
        return;
      }
      queue.push({ at: Date.now() + this.#replyDelayMs, chunk });
      timer ??= setTimeout(flush, queue[0]!.at - Date.now());
    });
    client.on('close', () => clearTimeout(timer));
  }
}
