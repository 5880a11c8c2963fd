import { describeL2Backend } from '@tiercache/conformance';
import { LruBackend, lruTier } from '../src/index.js';

describeL2Backend('LruBackend (entries)', () => new LruBackend({ maxEntries: 10_000 }), {
  lacks: ['lock', 'guardedWrites'],
  valueIdentity: 'same',
});
describeL2Backend('LruBackend (bytes)', () => lruTier({ maxBytes: 64 * 1024 * 1024 }), {
  lacks: ['lock', 'guardedWrites'],
  valueIdentity: 'same',
});
describeL2Backend('LruBackend (freeze)', () => lruTier({ maxEntries: 10_000, clone: 'freeze' }), {
  lacks: ['lock', 'guardedWrites'],
  valueIdentity: 'same',
});
describeL2Backend(
  'LruBackend (structured)',
  () => lruTier({ maxEntries: 10_000, maxBytes: 64 * 1024 * 1024, clone: 'structured' }),
  { lacks: ['lock', 'guardedWrites'], valueIdentity: 'copy' },
);
// With maxTtlMs no entry lives forever, which the suite checks as the noExpiry capability lacked.
describeL2Backend('LruBackend (maxTtlMs)', () => lruTier({ maxEntries: 10_000, maxTtlMs: 120_000 }), {
  lacks: ['lock', 'noExpiry', 'guardedWrites'],
});
