import { describeL2Backend } from '../src/index.js';
import { CodecBackend } from './support/codec-backend.js';

// A backend built like a remote adapter (value codec, bounded calls, closed guard), so that
// every error hook has something real to check: the error cases must pass against it.
describeL2Backend('CodecBackend', () => new CodecBackend(), {
  valueIdentity: 'copy',
  lacks: ['peek', 'lock', 'guardedWrites'],
  withSerializer: (serializer) => new CodecBackend({ serializer }),
  writeRaw: (backend, key, bytes) => backend.writeRaw(key, bytes),
  againstSilentServer: (address) => new CodecBackend({ remote: address, timeoutMs: 300 }),
});
