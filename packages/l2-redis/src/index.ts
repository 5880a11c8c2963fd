export type { RedisConnectionOptions } from './connection.js';
export { RedisPubSubTransport, type RedisPubSubTransportOptions } from './pubsub-transport.js';
export { RedisBackend, redisTier } from './redis-backend.js';
export type { RedisBackendOptions, RedisErrorContext, TtlSource } from './redis-backend-options.js';
