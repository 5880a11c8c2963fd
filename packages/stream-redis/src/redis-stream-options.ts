import type { StreamReadOptions } from '@tiercache/core';
import { OptionReader, renamedOptions, usedName } from '@tiercache/core/adapter';
import { CONNECTION_OPTION_KEYS, validateConnection } from '@tiercache/l2-redis/connection';
import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from 'ioredis';

/** Options for {@link RedisStream}; see the package README for the full table. */
export interface RedisStreamOptions {
  /**
   * An existing ioredis `Redis` (standalone or Sentinel) or `Cluster` for ordinary commands;
   * blocking reads use `duplicate()`s of it (of its connection to the owning master, on a
   * Cluster). Not closed by `close()` unless `closeClient` is `true`.
   */
  client?: Redis | Cluster;
  /** Close `client` in `close()`. Default `false`. */
  closeClient?: boolean;
  /** A `redis://` or `rediss://` URL; `redis` options, when also given, are applied on top. */
  url?: string;
  /** ioredis options (standalone or Sentinel). */
  redis?: RedisOptions;
  /** A Redis Cluster: startup nodes and ioredis cluster options (as `RedisBackend` takes them). */
  cluster?: { nodes: ClusterNode[]; options?: ClusterOptions };
  /** Prefix of every stream key: stream `s` lives at `${prefix}s`. Default `"tiercache:stream:"`. */
  prefix?: string;
  /** Upper bound for every non-blocking call, and the grace added to a blocking read's `blockMs`. Default 1000. */
  timeoutMs?: number;
  /** @deprecated the old name of `timeoutMs`; kept for one minor release. */
  commandTimeoutMs?: number;
  /** Name in stats and errors. Default `"redis-streams"`. */
  name?: string;
  /** `maxLen` trims with `MAXLEN ~` (cheap, keeps at least maxLen) instead of exactly. Default `true`. */
  approximateTrim?: boolean;
  /** Blocking-read connections kept open between reads. Default 4. */
  maxIdleBlockingConnections?: number;
  /** Told about connection errors of the connections we created. Must not throw. */
  onError?: (error: Error) => void;
}

/** Options for {@link RedisStream.readGroup}. */
export interface ReadGroupOptions extends StreamReadOptions {
  /** `">"` (default) for entries never delivered to the group; `"0"` for this consumer's pending ones. */
  id?: string;
}

/** Summary of a consumer group's pending (delivered, not acknowledged) entries. */
export interface PendingSummary {
  /** Entries delivered and not yet acknowledged. */
  count: number;
  /** Smallest pending id, `undefined` when nothing is pending. */
  smallestId: string | undefined;
  /** Largest pending id, `undefined` when nothing is pending. */
  largestId: string | undefined;
  /** Pending count per consumer. */
  consumers: { name: string; count: number }[];
}

/** The component name in every message. */
export const WHAT = 'RedisStream';

/** {@link RedisStreamOptions} checked once, with defaults applied. */
export interface ResolvedRedisStreamOptions {
  prefix: string;
  name: string;
  timeoutMs: number;
  approximateTrim: boolean;
  maxIdleBlockingConnections: number;
}

/** Check the options of a {@link RedisStream} at construction (connection options included). */
export function resolveRedisStreamOptions(options: RedisStreamOptions): ResolvedRedisStreamOptions {
  // Both names at once is an error; a bad value is named as the caller wrote it.
  renamedOptions(WHAT, options, { commandTimeoutMs: 'timeoutMs' });
  const timeoutName = usedName(options ?? {}, 'timeoutMs', 'commandTimeoutMs') as 'timeoutMs';
  const read = new OptionReader<RedisStreamOptions>(WHAT, options, [
    ...CONNECTION_OPTION_KEYS,
    'prefix',
    'timeoutMs',
    'commandTimeoutMs',
    'name',
    'approximateTrim',
    'maxIdleBlockingConnections',
    'onError',
  ]);
  validateConnection(WHAT, options);
  const prefix = options.prefix ?? 'tiercache:stream:';
  if (typeof prefix !== 'string') throw read.error('prefix', 'a string', prefix);
  read.fn('onError', '(error) => void');
  return {
    prefix,
    name: read.string('name', 'redis-streams'),
    timeoutMs: read.integer(timeoutName, 1, 1000),
    approximateTrim: read.boolean('approximateTrim', true),
    maxIdleBlockingConnections: read.integer('maxIdleBlockingConnections', 0, 4),
  };
}
