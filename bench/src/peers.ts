/**
 * The peer caches, each set up at its fastest for an in-process hit and all talking to the
 * same local Redis as tiercache: BentoCache (memory driver without serialization + Redis
 * driver), cache-manager (Keyv stores: cacheable's memory store, then @keyv/redis), and
 * cacheable (memory primary without cloning, @keyv/redis secondary).
 */
import KeyvRedis from '@keyv/redis';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisDriver } from 'bentocache/drivers/redis';
import { type Cache, createCache } from 'cache-manager';
import { Cacheable, createKeyv } from 'cacheable';
import { Redis } from 'ioredis';
import { Keyv } from 'keyv';

/** A TTL long enough that nothing expires during a run. */
export const BENCH_TTL_MS = 10 * 60_000;

/** Entries an L1 may hold in every scenario but the memory one. */
export const L1_MAX_ENTRIES = 100_000;

/** The calls every contender in scenarios 1-5 offers, whatever its own API looks like. */
export interface CacheUnderTest<V> {
  name: string;
  get(key: string): Promise<V | undefined>;
  set(key: string, value: V): Promise<unknown>;
  getOrSet(key: string, factory: () => Promise<V>): Promise<V | undefined>;
  /** Wait until the connections are up, so a timed round never pays for a connect. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** The peer libraries, by the name used in the tables. */
export type PeerName = 'bentocache' | 'cache-manager' | 'cacheable';

/** Every peer, in table order. */
export const PEERS: readonly PeerName[] = ['bentocache', 'cache-manager', 'cacheable'];

/**
 * Build peer `name` with a memory L1 and, when `redisUrl` is given, a Redis L2 under
 * `namespace` (the same namespace means the same shared entries across instances).
 */
export function createPeer<V>(
  name: PeerName,
  redisUrl: string | undefined,
  namespace: string,
): CacheUnderTest<V> {
  if (name === 'bentocache') return bentoPeer<V>(redisUrl, namespace);
  if (name === 'cache-manager') return cacheManagerPeer<V>(redisUrl, namespace);
  return cacheablePeer<V>(redisUrl, namespace);
}

function bentoPeer<V>(redisUrl: string | undefined, namespace: string): CacheUnderTest<V> {
  const connection = redisUrl ? new Redis(redisUrl, { enableAutoPipelining: true }) : undefined;
  let store = bentostore().useL1Layer(memoryDriver({ maxItems: L1_MAX_ENTRIES, serialize: false }));
  if (connection) store = store.useL2Layer(redisDriver({ connection }));
  const bento = new BentoCache({
    default: 'cache',
    prefix: namespace,
    ttl: BENCH_TTL_MS,
    stores: { cache: store },
  });
  return {
    name: 'bentocache',
    get: (key) => bento.get<V>({ key }) as Promise<V | undefined>,
    set: (key, value) => bento.set({ key, value, ttl: BENCH_TTL_MS }),
    getOrSet: (key, factory) => bento.getOrSet<V>({ key, factory, ttl: BENCH_TTL_MS }),
    ready: async () => {
      if (connection) await connection.ping();
    },
    close: async () => {
      await bento.disconnectAll();
      connection?.disconnect();
    },
  };
}

function redisKeyv(redisUrl: string, namespace: string): { keyv: Keyv; store: KeyvRedis<unknown> } {
  const store = new KeyvRedis<unknown>(redisUrl, { namespace });
  return { keyv: new Keyv({ store, namespace, useKeyPrefix: false }), store };
}

function cacheManagerPeer<V>(redisUrl: string | undefined, namespace: string): CacheUnderTest<V> {
  const memory = createKeyv({ useClone: false, lruSize: L1_MAX_ENTRIES });
  const remote = redisUrl ? redisKeyv(redisUrl, namespace) : undefined;
  const cache: Cache = createCache({ stores: remote ? [memory, remote.keyv] : [memory], ttl: BENCH_TTL_MS });
  return {
    name: 'cache-manager',
    get: (key) => cache.get<V>(key),
    set: (key, value) => cache.set(key, value, BENCH_TTL_MS),
    getOrSet: (key, factory) => cache.wrap<V>(key, factory, BENCH_TTL_MS),
    ready: async () => {
      if (remote) await remote.store.getClient();
    },
    close: async () => {
      await cache.disconnect();
    },
  };
}

function cacheablePeer<V>(redisUrl: string | undefined, namespace: string): CacheUnderTest<V> {
  const remote = redisUrl ? redisKeyv(redisUrl, namespace) : undefined;
  const cache = new Cacheable({
    primary: createKeyv({ useClone: false, lruSize: L1_MAX_ENTRIES }),
    ...(remote && { secondary: remote.keyv }),
    ttl: BENCH_TTL_MS,
  });
  return {
    name: 'cacheable',
    get: (key) => cache.get<V>(key),
    set: (key, value) => cache.set(key, value, BENCH_TTL_MS),
    getOrSet: (key, factory) => cache.getOrSet<V>(key, factory, { ttl: BENCH_TTL_MS }),
    ready: async () => {
      if (remote) await remote.store.getClient();
    },
    close: async () => {
      await cache.disconnect();
    },
  };
}
