export type { RedisConnectionOptions } from './connection.js';
export { RedisPubSubTransport, type RedisPubSubTransportOptions } from './pubsub-transport.js';
export {
  RedisBackend,
  type RedisBackendOptions,
  type RedisErrorContext,
  redisTier,
  type TtlSource,
} from './redis-backend.js';
