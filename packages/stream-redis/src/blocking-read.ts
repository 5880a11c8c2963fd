import { boundedCall, TimeoutError, toTierError } from '@tiercache/core';
import { isIoredisTimeout, isRedisCluster, type RedisClient } from '@tiercache/l2-redis/connection';
import type { Cluster } from 'ioredis';
import type { BlockingConnection } from './blocking-pool.js';
import type { BlockingTarget, BlockingTargets } from './blocking-targets.js';

interface ActiveRead {
  conn: BlockingConnection;
  target: BlockingTarget;
  done: boolean;
}

/**
 * The blocking reads of one `RedisStream` (XREAD or XREADGROUP with BLOCK): each on a pooled
 * connection of its own (see `BlockingTargets`), bounded by `blockMs` + `timeoutMs`, ended
 * with `CLIENT UNBLOCK` when its signal aborts. On a Cluster a read that meets `MOVED` or
 * `UNBLOCKED` is retried (4 attempts in all), and any other failure refreshes the slot table
 * before it rejects.
 */
export class BlockingReader {
  readonly #name: string;
  readonly #client: RedisClient;
  readonly #targets: BlockingTargets;
  readonly #timeoutMs: number;
  readonly #isClosed: () => boolean;

  constructor(
    name: string,
    client: RedisClient,
    targets: BlockingTargets,
    timeoutMs: number,
    isClosed: () => boolean,
  ) {
    this.#name = name;
    this.#client = client;
    this.#targets = targets;
    this.#timeoutMs = timeoutMs;
    this.#isClosed = isClosed;
  }

  /**
   * Run the blocking command `args` for stream key `key`; resolves the raw reply, or `null`
   * when the signal aborts or the stream closes.
   */
  async read(
    operation: string,
    args: (string | number)[],
    blockMs: number,
    signal: AbortSignal | undefined,
    key: string,
  ): Promise<unknown> {
    // During a failover a read can meet the old master twice or more: bounded retries.
    let address: string | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#blocking(operation, args, blockMs, signal, key, address);
      } catch (error) {
        if (!isRedisCluster(this.#client) || this.#isClosed()) throw error;
        const retry = attempt < MAX_REDIRECTS;
        // The slot moved (a replica took over, or resharding): again, on the node named.
        address = movedTo(error);
        if (address !== undefined && retry) continue;
        // The master was demoted while the read blocked on it (Redis 7 ends such reads with
        // UNBLOCKED): again, wherever the refreshed slot table says the key lives now.
        if (causedBy(error, /^UNBLOCKED /) && retry) {
          await this.#refreshSlots();
          continue;
        }
        // Anything else (the node died or stopped answering): the slot table may be stale, and
        // an instance that only reads sends nothing through the Cluster that would refresh it,
        // so refresh it now for the caller's next read (a bus reader retries with backoff).
        void this.#refreshSlots();
        throw error;
      }
    }
  }

  /** Ask the Cluster for its slot table again (bounded by `timeoutMs`; a failure leaves the old one). */
  async #refreshSlots(): Promise<void> {
    const cluster = this.#client as Cluster;
    if (typeof cluster.refreshSlotsCache !== 'function' || this.#isClosed()) return;
    await boundedCall(
      this.#name,
      'refresh slots',
      this.#timeoutMs,
      new Promise<void>((resolve) => cluster.refreshSlotsCache(() => resolve())),
      isIoredisTimeout,
    ).catch(() => undefined);
  }

  /** The blocking target for `key` (or the node at `address`), once the slot table knows it. */
  async #target(operation: string, key: string, address: string | undefined): Promise<BlockingTarget> {
    const find = () => (address === undefined ? this.#targets.forKey(key) : this.#targets.forNode(address));
    let target = find();
    if (!target) {
      // A Cluster that is still connecting has no slot table yet; a routed command waits for it.
      await this.#bounded(operation, this.#client.exists(key));
      target = find();
    }
    if (!target) {
      throw toTierError(
        this.#name,
        operation,
        this.#timeoutMs,
        new Error(
          `no Redis Cluster master is known for stream key ${JSON.stringify(key)}${address ? ` at ${address}` : ''}`,
        ),
        isIoredisTimeout,
      );
    }
    return target;
  }

  /**
   * Run a blocking command on a pooled connection. Resolves the raw reply, or `null` when the
   * signal aborts (the server is told with CLIENT UNBLOCK) or the instance closes.
   */
  async #blocking(
    operation: string,
    args: (string | number)[],
    blockMs: number,
    signal: AbortSignal | undefined,
    key: string,
    address?: string,
  ) {
    if (signal?.aborted) return null;
    const target = await this.#target(operation, key, address);
    const pool = target.pool;
    let conn: BlockingConnection;
    try {
      conn = await pool.acquire(this.#timeoutMs);
    } catch (error) {
      if (this.#isClosed()) return null;
      throw toTierError(this.#name, operation, this.#timeoutMs, error, isIoredisTimeout);
    }
    if (signal?.aborted) {
      // Aborted while the connection was being set up: nothing was sent, nothing to unblock.
      pool.release(conn);
      return null;
    }
    const read: ActiveRead = { conn, target, done: false };
    const [command, ...rest] = args as [string, ...(string | number)[]];
    return new Promise<unknown>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(guard);
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const onAbort = (): void => {
        settle(() => resolve(null));
        this.#unblock(read);
      };
      // Redis answers by itself after blockMs; this only catches a server that stopped answering.
      const guard = setTimeout(() => {
        pool.discard(conn);
        settle(() =>
          reject(
            new TimeoutError(
              `redis stream backend "${this.#name}" (${operation})`,
              blockMs + this.#timeoutMs,
            ),
          ),
        );
      }, blockMs + this.#timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      conn.client.call(command, ...rest).then(
        (reply) => {
          read.done = true;
          pool.release(conn);
          settle(() => resolve(reply));
        },
        (error: unknown) => {
          read.done = true;
          pool.discard(conn);
          settle(() =>
            this.#isClosed()
              ? resolve(null)
              : reject(toTierError(this.#name, operation, this.#timeoutMs, error, isIoredisTimeout)),
          );
        },
      );
    });
  }

  /**
   * End an aborted read on the server: CLIENT UNBLOCK makes it return at once and keeps the
   * connection reusable. When that is not possible (id unknown, the read not yet on the
   * server, the command failing), drop the connection instead.
   */
  #unblock(read: ActiveRead): void {
    const fallback = (): void => {
      if (!read.done) read.target.pool.discard(read.conn);
    };
    const id = read.conn.id;
    if (id === undefined || this.#isClosed()) {
      fallback();
      return;
    }
    this.#bounded('unblock', read.target.admin.call('CLIENT', 'UNBLOCK', id)).then((n) => {
      if (Number(n) !== 1) fallback();
    }, fallback);
  }

  #bounded<T>(operation: string, promise: Promise<T>): Promise<T> {
    return boundedCall(this.#name, operation, this.#timeoutMs, promise, isIoredisTimeout);
  }
}

/** Attempts of one blocking read on a Cluster that meets MOVED or UNBLOCKED (a failover under way). */
const MAX_REDIRECTS = 4;

/** The `host:port` of a `MOVED slot host:port` reply behind `error`, else `undefined`. */
function movedTo(error: unknown): string | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const match = /^MOVED \d+ (\S+)/.exec(e.message);
    if (match) return match[1];
  }
  return undefined;
}

/** `true` when `error` or one of its causes has a message matching `pattern`. */
function causedBy(error: unknown, pattern: RegExp): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) if (pattern.test(e.message)) return true;
  return false;
}
