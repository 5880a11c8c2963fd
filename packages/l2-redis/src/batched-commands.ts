import { parseTtl } from '@tiercache/core';
import type { Cluster, Redis } from 'ioredis';
import { SET_MANY } from './lua-script.js';
import { batchRefused } from './refusal.js';
import { TickBatch } from './tick-batch.js';

/**
 * What `RedisBackend`'s same-tick batches send (see `TickBatch`): reads as one MGET, writes as
 * one SET_MANY script call; a batch of one is the plain command.
 */

/** A write waiting in this tick's batch. */
export interface QueuedSet {
  key: string;
  data: string | Buffer;
  ttl: number | undefined;
}

/** A read batch: a lone key is a plain GET (the same work, and what a MONITOR reader expects). */
export function sendReads(
  client: Redis,
  keys: string[],
  binary: boolean,
): Promise<readonly (string | Buffer | null)[]> {
  if (keys.length === 1) {
    const one = binary ? client.getBuffer(keys[0]!) : client.get(keys[0]!);
    return one.then((raw) => [raw]);
  }
  return getEach(client, keys, binary);
}

/**
 * The values of `keys` in order: one MGET, or on a Cluster one GET each (MGET across slots
 * fails with CROSSSLOT; auto-pipelining groups the GETs per node).
 */
export function getEach(
  client: Redis | Cluster,
  keys: string[],
  binary: boolean,
): Promise<(string | Buffer | null)[]> {
  if (client.isCluster) return Promise.all(keys.map((k) => (binary ? client.getBuffer(k) : client.get(k))));
  return binary ? client.mgetBuffer(keys) : client.mget(keys);
}

/**
 * Several SETs (PX when a TTL is given), one command each, issued in order. Not an explicit
 * pipeline: ioredis writes a pipeline to the socket at once, ahead of auto-pipelined commands
 * still queued for the tick, so a `set` issued just before could land after it. On a Cluster,
 * auto-pipelining groups them per node. Rejects with the first command's error.
 */
export async function setEach(client: Redis | Cluster, items: readonly QueuedSet[]): Promise<void> {
  await Promise.all(
    items.map((p) =>
      p.ttl === undefined ? client.set(p.key, p.data) : client.set(p.key, p.data, 'PX', p.ttl),
    ),
  );
}

/**
 * A write batch: one SET_MANY script call (a lone write is a plain SET). `onScriptRefused` is
 * told when the server refuses scripts, so the backend sends plain SETs from then on.
 */
export function sendWrites(
  client: Redis,
  items: QueuedSet[],
  onScriptRefused: () => void,
): Promise<readonly unknown[]> {
  const done = new Array<unknown>(items.length);
  if (items.length === 1) {
    const { key, data, ttl } = items[0]!;
    return (ttl === undefined ? client.set(key, data) : client.set(key, data, 'PX', ttl)).then(() => done);
  }
  const keys = new Array<string>(items.length);
  const args = new Array<string | number | Buffer>(items.length * 2);
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    keys[i] = item.key;
    args[2 * i] = item.data;
    args[2 * i + 1] = item.ttl ?? '';
  }
  return SET_MANY.runMany(client, keys, args).then(
    () => done,
    (error: unknown) => {
      // A server that refuses scripts (disabled, or an ACL without EVAL) refuses them for good:
      // this batch fails (core keeps the writes as missed writes), later writes are plain SETs.
      if (error instanceof Error && /^(NOPERM|ERR unknown command)/.test(error.message)) {
        onScriptRefused();
      }
      throw batchRefused(error, items.length);
    },
  );
}

/**
 * The PX argument of a write: `ttlMs` checked, capped at `maxTtlMs`, in whole milliseconds
 * (rounding up never makes an entry expire early); `undefined` for no expiry.
 */
export function pxTtl(maxTtlMs: number | undefined, ttlMs: number | undefined): number | undefined {
  const ttl = parseTtl(ttlMs);
  if (maxTtlMs !== undefined && (ttl === undefined || ttl > maxTtlMs)) return maxTtlMs;
  return ttl === undefined ? undefined : Math.ceil(ttl);
}

/** Which same-tick batches a backend uses, and how they send. */
export interface TickBatchSettings {
  reads: boolean;
  writes: boolean;
  binary: boolean;
  timeoutMs: number;
  onScriptRefused: () => void;
}

/**
 * The backend's same-tick batches: reads as one MGET, writes as one SET_MANY call; none on a
 * Cluster, where a multi-key command cannot span hash slots (see the README). Writes queued in
 * a tick go out before that tick's reads, so a read sees every write issued before it.
 */
export function tickBatches(
  client: Redis | Cluster,
  settings: TickBatchSettings,
): {
  reads: TickBatch<string, string | Buffer | null> | undefined;
  writes: TickBatch<QueuedSet, unknown> | undefined;
} {
  if (client.isCluster) return { reads: undefined, writes: undefined };
  const single = client as Redis;
  const writes = settings.writes
    ? new TickBatch(
        (items: QueuedSet[]) => sendWrites(single, items, settings.onScriptRefused),
        settings.timeoutMs,
      )
    : undefined;
  const reads = settings.reads
    ? new TickBatch(
        (keys: string[]) => sendReads(single, keys, settings.binary),
        settings.timeoutMs,
        writes && (() => writes.flush()),
      )
    : undefined;
  return { reads, writes };
}
