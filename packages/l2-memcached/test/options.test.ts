import { InvalidOptionError, jsonSerializer, type Serializer } from '@tiercache/core';
import { Client } from 'memjs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_VALUE_BYTES, MemcachedBackend, type MemcachedBackendOptions } from '../src/index.js';

// These cases need no server: construction never connects.
describe('options are validated at construction', () => {
  const bad: [string, MemcachedBackendOptions, RegExp][] = [
    ['neither servers nor client', {}, /give `servers`/],
    ['both servers and client', { servers: '127.0.0.1:1', client: Client.create('127.0.0.1:1') }, /not both/],
    ['a server without host', { servers: ':11211' }, /not "host:port"/],
    ['a port out of range', { servers: '127.0.0.1:70000' }, /not "host:port"/],
    ['an IPv6 literal', { servers: '::1:11211' }, /IPv6/],
    ['an empty server list', { servers: [] }, /empty/],
    ['a namespace with a colon', { servers: 'h:1', namespace: 'a:b' }, /prefix "a:b"/],
    ['a namespace with a space', { servers: 'h:1', namespace: 'a b' }, /prefix "a b"/],
    ['an empty namespace', { servers: 'h:1', namespace: '' }, /prefix must be a non-empty string/],
    ['an over-long namespace', { servers: 'h:1', namespace: 'n'.repeat(129) }, /128 bytes/],
    ['an unknown key policy', { servers: 'h:1', keyPolicy: 'truncate' as 'hash' }, /keyPolicy/],
    ['a zero timeout', { servers: 'h:1', timeoutMs: 0 }, /timeoutMs/],
    ['a NaN timeout', { servers: 'h:1', timeoutMs: Number.NaN }, /timeoutMs/],
    ['fractional retries', { servers: 'h:1', retries: 1.5 }, /retries/],
    ['negative versionCacheMs', { servers: 'h:1', versionCacheMs: -1 }, /versionCacheMs/],
    ['a fractional maxValueBytes', { servers: 'h:1', maxValueBytes: 10.5 }, /maxValueBytes/],
    [
      'a serializer without format',
      { servers: 'h:1', serializer: { ...jsonSerializer, format: undefined } as unknown as Serializer },
      /serializer/,
    ],
    ['an empty name', { servers: 'h:1', name: '' }, /name/],
    [
      'a misspelt option',
      { servers: 'h:1', timeout: 5 } as MemcachedBackendOptions,
      /MemcachedBackend: unknown option "timeout"/,
    ],
    ['closeClient without client', { servers: 'h:1', closeClient: true }, /closeClient/],
    ['a client that is not a memjs client', { client: {} as Client }, /memjs Client/],
  ];
  for (const [what, options, message] of bad) {
    it(`refuses ${what}`, () => {
      expect(() => new MemcachedBackend(options)).toThrow(InvalidOptionError);
      expect(() => new MemcachedBackend(options)).toThrow(message);
    });
  }

  it('refuses memjs-client settings next to a passed client', () => {
    const client = Client.create('127.0.0.1:1');
    for (const extra of [{ username: 'u' }, { password: 'p' }, { retries: 1 }, { retryDelayMs: 1 }]) {
      expect(() => new MemcachedBackend({ client, ...extra })).toThrow(/only applies with `servers`/);
    }
  });

  it('accepts a string list, an array and credentials, and fills the defaults', () => {
    const b = new MemcachedBackend({
      servers: ['127.0.0.1:11211', 'user:pass@cache.internal:11212', 'other'],
    });
    expect(b.name).toBe('memcached');
    expect(b.namespace).toBe('tiercache');
    expect(b.maxValueBytes).toBe(DEFAULT_MAX_VALUE_BYTES);
    expect(DEFAULT_MAX_VALUE_BYTES).toBe(1024 * 1024 - 1024);
    const named = new MemcachedBackend({
      servers: '127.0.0.1:1,127.0.0.1:2',
      name: 'l3',
      namespace: 'app-v2',
    });
    expect(named.name).toBe('l3');
    expect(named.namespace).toBe('app-v2');
  });

  it('offers no removePattern, locks or peek: memcached cannot list keys, memjs has no CAS', () => {
    const b = new MemcachedBackend({ servers: '127.0.0.1:1' }) as unknown as Record<string, unknown>;
    for (const method of ['removePattern', 'acquireLock', 'releaseLock', 'peek', 'peekWithTtl']) {
      expect(b[method], method).toBeUndefined();
    }
  });
});
