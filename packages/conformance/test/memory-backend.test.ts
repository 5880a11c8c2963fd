import { MemoryBackend } from '@tiercache/core';
import { describeL2Backend } from '../src/index.js';

// core's MemoryBackend is the reference implementation: the suite must pass against it as
// written, in both of its value modes.
describeL2Backend('MemoryBackend', () => new MemoryBackend(), { valueIdentity: 'same' });
describeL2Backend('MemoryBackend (clone)', () => new MemoryBackend({ clone: true }), {
  valueIdentity: 'copy',
});
