#!/usr/bin/env node
// Prints a markdown table: every public constructor and factory of every package, given an
// option key it does not know, and the error it throws (class, code, message). Runs on the built
// packages (`pnpm build` first) and needs no server: the check comes before any connection, and
// the Redis clients are lazy (lazyConnect) in case a constructor accepted the key. Exits 1 when a
// row is not an InvalidOptionError in the kit's format, so it can serve as a check too.
//
//   node scripts/unknown-options-table.mjs
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = new URL('../', import.meta.url);
const pkg = (name, file = 'index.js') => import(new URL(`packages/${name}/dist/${file}`, root).href);
const fromPackage = (name, dependency) =>
  import(
    pathToFileURL(
      createRequire(fileURLToPath(new URL(`packages/${name}/package.json`, root))).resolve(dependency),
    ).href
  );

const core = await pkg('core');
const lru = await pkg('l1-lru');
const redis = await pkg('l2-redis');
const memcached = await pkg('l2-memcached');
const streamRedis = await pkg('stream-redis');
const kafka = await pkg('stream-kafka');
const keyv = await pkg('keyv');
const otel = await pkg('otel');
// The conformance entry loads vitest (it defines suites); FaultyBackend's own module does not.
const conformance = await pkg('conformance', 'faulty-backend.js');
const keyvModule = await fromPackage('keyv', 'keyv');
const Keyv = keyvModule.Keyv ?? keyvModule.default?.Keyv ?? keyvModule.default;

const url = 'redis://127.0.0.1:1';
const lazy = { lazyConnect: true, maxRetriesPerRequest: 0 };
const cache = new core.TieredCache();
const backend = new core.MemoryBackend();
const transport = new core.MemoryBusHub().transport();

/** [constructor as written, unknown key shown, build] */
const rows = [
  ['new TieredCache(options)', 'ttll', () => new core.TieredCache({ ttll: '5m' })],
  ['new TieredCache(options)', 'zzzz', () => new core.TieredCache({ zzzz: 1 })],
  [
    'new TieredCache({ tiers: [tier] })',
    'tiers[0].timeoutMS',
    () => new core.TieredCache({ tiers: [{ backend, timeoutMS: 50 }] }),
  ],
  ['new TieredCache({ bus })', 'bus.chanel', () => new core.TieredCache({ bus: { transport, chanel: 'x' } })],
  ['new TieredCache({ lock })', 'lock.leese', () => new core.TieredCache({ lock: { leese: '1s' } })],
  [
    'new TieredCache({ tiers: [{ breaker }] })',
    'breaker.failureTreshold',
    () => new core.TieredCache({ tiers: [{ backend, breaker: { failureTreshold: 3 } }] }),
  ],
  ['new MemoryBackend(options)', 'maxEntires', () => new core.MemoryBackend({ maxEntires: 10 })],
  ['new MemoryStream(options)', 'nmae', () => new core.MemoryStream({ nmae: 's' })],
  [
    'new StreamBusTransport(stream, options)',
    'blockMS',
    () => new core.StreamBusTransport(new core.MemoryStream(), { blockMS: 10 }),
  ],
  [
    'new CircuitBreaker(options, onChange)',
    'failureTreshold',
    () => new core.CircuitBreaker({ failureTreshold: 3 }, () => {}),
  ],
  ['new LruBackend(options)', 'maxEntires', () => new lru.LruBackend({ maxEntires: 10 })],
  ['lruTier(options)', 'maxEntires', () => lru.lruTier({ maxEntires: 10 })],
  ['new RedisBackend(options)', 'prefx', () => new redis.RedisBackend({ url, redis: lazy, prefx: 'a:' })],
  ['redisTier(options)', 'timeoutMS', () => redis.redisTier({ url, redis: lazy, timeoutMS: 50 })],
  [
    'new RedisPubSubTransport(options)',
    'channell',
    () => new redis.RedisPubSubTransport({ url, redis: lazy, channell: 'x' }),
  ],
  [
    'new RedisPubSubTransport(options)',
    'comandTimeoutMs',
    () => new redis.RedisPubSubTransport({ url, redis: lazy, comandTimeoutMs: 50 }),
  ],
  ['new RedisStream(options)', 'prefx', () => new streamRedis.RedisStream({ url, redis: lazy, prefx: 'a' })],
  ['redisStream(options)', 'timeoutMS', () => streamRedis.redisStream({ url, redis: lazy, timeoutMS: 50 })],
  [
    'new MemcachedBackend(options)',
    'servrs',
    () => new memcached.MemcachedBackend({ servrs: '127.0.0.1:1' }),
  ],
  ['memcachedTier(options)', 'prefx', () => memcached.memcachedTier({ servers: '127.0.0.1:1', prefx: 'a' })],
  ['new KafkaStream(options)', 'brokerz', () => new kafka.KafkaStream({ brokerz: '127.0.0.1:1' })],
  [
    'kafkaStream(options)',
    'topicPrefx',
    () => kafka.kafkaStream({ brokers: '127.0.0.1:1', topicPrefx: 't' }),
  ],
  ['new KeyvTier(keyv, options)', 'nmae', () => new keyv.KeyvTier(new Keyv(), { nmae: 'k' })],
  ['keyvTier(keyv, options)', 'closeClent', () => keyv.keyvTier(new Keyv(), { closeClent: true })],
  [
    'new TieredKeyvStore(cache, options)',
    'deserialise',
    () => new keyv.TieredKeyvStore(cache, { deserialise: () => ({}) }),
  ],
  ['toKeyvStore(cache, options)', 'namespce', () => keyv.toKeyvStore(cache, { namespce: 'n' })],
  ['instrumentCache(cache, options)', 'metr', () => otel.instrumentCache(cache, { metr: 1 })],
  [
    'instrumentCache(cache, options)',
    'meterProvder',
    () => otel.instrumentCache(cache, { meterProvder: {} }),
  ],
  ['new FaultyBackend(inner, options)', 'sead', () => new conformance.FaultyBackend(backend, { sead: 1 })],
];

const FORMAT = /^\S.*: unknown option "[^"]+"; (did you mean "[^"]+"\?|known options are ".+")$/;
const out = [
  '| constructor | unknown key | error class | code | message |',
  '| --- | --- | --- | --- | --- |',
];
let bad = 0;
for (const [name, key, build] of rows) {
  let error;
  try {
    const built = build();
    await built?.close?.();
  } catch (e) {
    error = e;
  }
  const ok =
    error?.name === 'InvalidOptionError' &&
    error.code === 'TIERCACHE_BAD_OPTION' &&
    FORMAT.test(error.message);
  if (!ok) bad++;
  const cell = (text) => String(text).replaceAll('|', '\\|');
  out.push(
    error === undefined
      ? `| \`${name}\` | \`${key}\` | **accepted** | | |`
      : `| \`${name}\` | \`${key}\` | ${error.name}${ok ? '' : ' **(not the kit format)**'} | ${error.code ?? ''} | ${cell(error.message)} |`,
  );
}
out.push(
  '',
  'Take no options (nothing to reject): `cache.namespace(name)`, `new MemoryBusHub()` and `hub.transport()`, `Strategy.Custom(ttl)`.',
);
console.log(out.join('\n'));
await cache.close();
process.exit(bad === 0 ? 0 : 1);
