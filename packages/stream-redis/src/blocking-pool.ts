import { TimeoutError } from '@tiercache/core';
import { disconnectAndWait } from '@tiercache/l2-redis/connection';
import type { Redis } from 'ioredis';

/** A connection that runs one blocking read at a time, and its server-side id for CLIENT UNBLOCK. */
export interface BlockingConnection {
  readonly client: Redis;
  /** `CLIENT ID` of the current socket; refreshed after every reconnect, `undefined` until known. */
  id: number | undefined;
}

/**
 * Connections for blocking reads (XREAD/XREADGROUP BLOCK). A blocked Redis connection
 * answers nothing else until the read ends, so each concurrent blocking read gets a
 * connection of its own, never the command connection. Connections are reused; at most
 * `maxIdle` wait between reads, the rest are closed when released.
 */
export class BlockingConnectionPool {
  readonly #create: () => Redis;
  readonly #maxIdle: number;
  readonly #idle: BlockingConnection[] = [];
  readonly #all = new Set<BlockingConnection>();

  constructor(create: () => Redis, maxIdle: number) {
    this.#create = create;
    this.#maxIdle = maxIdle;
  }

  /** Connections open now (busy and idle). */
  get size(): number {
    return this.#all.size;
  }

  /** An idle connection, or a new one once it is connected and knows its id. */
  async acquire(timeoutMs: number): Promise<BlockingConnection> {
    const idle = this.#idle.pop();
    if (idle) return idle;
    const client = this.#create();
    const conn: BlockingConnection = { client, id: undefined };
    this.#all.add(conn);
    // Every reconnect is a new server-side client with a new id.
    client.on('ready', () => {
      conn.id = undefined;
      client.client('ID').then(
        (id) => {
          conn.id = id;
        },
        () => undefined,
      );
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      conn.id = await Promise.race([
        client.client('ID'),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new TimeoutError('a new connection for a blocking read', timeoutMs)),
            timeoutMs,
          );
        }),
      ]);
    } catch (error) {
      this.discard(conn);
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return conn;
  }

  /** Put a connection whose read has ended back for reuse (or close it if enough are idle). */
  release(conn: BlockingConnection): void {
    if (!this.#all.has(conn)) return;
    if (this.#idle.length < this.#maxIdle) this.#idle.push(conn);
    else this.discard(conn);
  }

  /** Close a connection that may still be blocked; a pending read on it rejects. */
  discard(conn: BlockingConnection): void {
    if (!this.#all.delete(conn)) return;
    const i = this.#idle.indexOf(conn);
    if (i >= 0) this.#idle.splice(i, 1);
    conn.client.disconnect();
  }

  /** Close every connection and wait (up to `timeoutMs`) until their sockets have ended. */
  async closeAll(timeoutMs: number): Promise<void> {
    const clients = [...this.#all].map((c) => c.client);
    this.#all.clear();
    this.#idle.length = 0;
    await Promise.all(clients.map((client) => disconnectAndWait(client, timeoutMs)));
  }
}
