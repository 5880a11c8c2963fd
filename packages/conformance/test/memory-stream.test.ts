import { MemoryStream } from '@tiercache/core';
import { describeStreamingBackend } from '../src/index.js';

describeStreamingBackend('MemoryStream', () => new MemoryStream(), { redisIds: true });
