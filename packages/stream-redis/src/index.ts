export {
  type PendingSummary,
  type ReadGroupOptions,
  RedisStream,
  type RedisStreamOptions,
  redisStream,
} from './redis-stream.js';
