export { RedisStream, redisStream } from './redis-stream.js';
export type { PendingSummary, ReadGroupOptions, RedisStreamOptions } from './redis-stream-options.js';
