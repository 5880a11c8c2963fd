import { type CacheBackend, MemoryBackend, type Serializer, TieredCache } from '@tiercache/core';
import { describe, expect, it } from 'vitest';
import { borrowed } from './backend-view.js';
import { LONG_TTL_MS } from './case-ttl.js';
import { cacheCalls, presentCalls } from './lifecycle-cases.js';
import { HOOKS, type ResolvedCacheOptions } from './options.js';
import { codeOf, describeError, type ExpectedError, rejectionProblem, report, settle } from './settle.js';
import { startSilentServer } from './silent-server.js';
import type { SuiteContext } from './suite-context.js';

const SERIALIZE: ExpectedError = { name: 'SerializationError', code: 'TIERCACHE_SERIALIZE' };
const DESERIALIZE: ExpectedError = { name: 'DeserializationError', code: 'TIERCACHE_DESERIALIZE' };
const TIMEOUT: ExpectedError = { name: 'TimeoutError', code: 'TIERCACHE_TIMEOUT' };

/**
 * Bytes no serializer of ours reads: 0xc1 is never used in MessagePack, is not valid UTF-8,
 * and the text after it is not JSON.
 */
export const UNREADABLE_BYTES = new Uint8Array([0xc1, ...new TextEncoder().encode('{not json')]);

const POISON = '__tcc_cannot_serialize__';
const decoder = new TextDecoder();

/** JSON, except that it throws a plain `Error` for values holding {@link POISON}. */
const throwingSerializer: Serializer = {
  name: 'tcc-throwing',
  format: 'string',
  serialize(value) {
    if (JSON.stringify(value)?.includes(POISON))
      throw new Error('this serializer refuses the value on purpose');
    return JSON.stringify(value);
  },
  deserialize: (data) => JSON.parse(typeof data === 'string' ? data : decoder.decode(data)) as unknown,
};

/** Register the error-category cases; each hook enables its cases. */
export function defineErrorCases(ctx: SuiteContext<CacheBackend>, o: ResolvedCacheOptions): void {
  const { withSerializer, writeRaw, againstSilentServer } = o.hooks;
  describe('errors', () => {
    const given = HOOKS.filter((h) => o.hooks[h] !== undefined);
    const missing = HOOKS.filter((h) => o.hooks[h] === undefined);
    it(`optional hooks given: ${given.join(', ') || 'none'}; not given, so their cases are not registered: ${missing.join(', ') || 'none'}`, () => {
      for (const hook of given) expect(typeof o.hooks[hook], hook).toBe('function');
      for (const hook of missing) expect(o.hooks[hook], hook).toBeUndefined();
    });

    if (withSerializer) {
      it('a serializer that throws: the write rejects with SerializationError and the key stays absent', async () => {
        const b = await withSerializer(throwingSerializer);
        try {
          const key = ctx.key('serialize-throws');
          await b.setWithTtl(key, 'a readable value first', LONG_TTL_MS);
          const problems: string[] = [];
          const fresh = ctx.key('serialize-throws-fresh');
          for (const [label, k] of [
            ['a new key', fresh],
            ['a key holding a value', key],
          ] as const) {
            const problem = rejectionProblem(
              await settle(() => b.setWithTtl(k, { bad: POISON }, LONG_TTL_MS), 10_000),
              SERIALIZE,
            );
            if (problem) problems.push(`setWithTtl on ${label}: ${problem}`);
          }
          if (typeof b.setMany === 'function') {
            const problem = rejectionProblem(
              await settle(
                () => b.setMany!([{ key: ctx.key('serialize-many'), value: POISON, ttlMs: LONG_TTL_MS }]),
                10_000,
              ),
              SERIALIZE,
            );
            if (problem) problems.push(`setMany: ${problem}`);
          }
          expect(
            problems,
            report(
              "a value the serializer cannot encode is a caller error: reject the write with SerializationError (the adapter kit's ValueCodec wraps whatever the serializer throws):",
              problems,
            ),
          ).toStrictEqual([]);
          await expect(
            b.get(fresh),
            'a write that failed to serialize must not store anything',
          ).resolves.toBeUndefined();
          const kept = await b.get(key);
          expect(
            kept === undefined || kept === 'a readable value first',
            'a failed write leaves the key absent or with its earlier value, never something else',
          ).toBe(true);
        } finally {
          await b.close?.();
        }
      });
    }

    if (writeRaw) {
      it('an unreadable stored value: reads reject with DeserializationError, and the value is not deleted', async () => {
        const b = ctx.backend;
        const key = ctx.key('unreadable');
        await writeRaw(b, key, UNREADABLE_BYTES);
        const reads: [string, () => unknown][] = [['get', () => b.get(key)]];
        const any = b as unknown as Record<string, ((k: string) => unknown) | undefined>;
        if (typeof any.getWithTtl === 'function') reads.push(['getWithTtl', () => any.getWithTtl!(key)]);
        reads.push(['get (again)', () => b.get(key)]);
        const problems: string[] = [];
        for (const [label, read] of reads) {
          const problem = rejectionProblem(await settle(read, 10_000), DESERIALIZE);
          if (problem) problems.push(`${label}: ${problem}`);
        }
        expect(
          problems,
          report(
            'contracts.ts: a stored value the backend cannot decode rejects the read with DeserializationError (not a miss, not a TierError), and stays stored (another writer may own it):',
            problems,
          ),
        ).toStrictEqual([]);
      });

      it('an unreadable stored value inside a TieredCache: a miss, a tier:error event each time, the breaker stays closed', async () => {
        const b = ctx.backend;
        const key = ctx.key('unreadable-in-cache');
        await writeRaw(b, key, UNREADABLE_BYTES);
        const cache = new TieredCache({
          tiers: [
            new MemoryBackend({ name: 'l1' }),
            { backend: borrowed(b), breaker: { failureThreshold: 2, openMs: 60_000 } },
          ],
          ttl: LONG_TTL_MS,
        });
        const errors: unknown[] = [];
        cache.on('tier:error', (e) => errors.push(e.error));
        try {
          for (let i = 0; i < 3; i++) await expect(cache.get(key), `read ${i + 1}`).resolves.toBeUndefined();
          expect(
            errors.map(codeOf),
            `each read must report the DeserializationError as tier:error; got ${errors.map(describeError).join('; ')}`,
          ).toStrictEqual(['TIERCACHE_DESERIALIZE', 'TIERCACHE_DESERIALIZE', 'TIERCACHE_DESERIALIZE']);
          expect(
            cache.stats().tiers[1]!.breaker,
            'an undecodable value is not a server failure: the breaker must stay closed',
          ).toBe('closed');
        } finally {
          await cache.close();
        }
      });
    }

    if (againstSilentServer) {
      it(`against a server that never answers: every call rejects with TimeoutError within timeoutMs + ${o.timeoutSlackMs} ms, healthCheck resolves false`, async () => {
        const server = await startSilentServer();
        let b: CacheBackend | undefined;
        try {
          const built = await settle(async () => againstSilentServer(server.address), 10_000);
          if (built.kind !== 'resolved') {
            throw new Error(
              `againstSilentServer did not give a backend (${built.kind}${'error' in built ? `: ${describeError(built.error)}` : ''}); building a backend must not wait for the server to answer (connect lazily, or bound the wait by timeoutMs)`,
            );
          }
          b = built.value as CacheBackend;
          const timeoutMs = b.timeoutMs;
          expect(
            typeof timeoutMs === 'number' && timeoutMs > 0 && Number.isFinite(timeoutMs),
            `the backend declares timeoutMs = ${String(timeoutMs)}; a remote backend bounds every call itself and says so with timeoutMs (a finite number of ms)`,
          ).toBe(true);
          const bound = timeoutMs! + o.timeoutSlackMs;
          const backend = b;
          const calls = presentCalls<CacheBackend>(backend, cacheCalls(ctx.key('silent')));
          const outcomes = await Promise.all(
            calls.map(
              async ([method, call]) => [method, await settle(() => call(backend), bound * 3)] as const,
            ),
          );
          const problems: string[] = [];
          for (const [method, settled] of outcomes) {
            const problem = rejectionProblem(settled, TIMEOUT);
            if (problem) problems.push(`${method}: ${problem}`);
            else if ('ms' in settled && settled.ms > bound)
              problems.push(`${method}: rejected with TimeoutError after ${settled.ms} ms, over ${bound} ms`);
          }
          const health = await settle(() => backend.healthCheck(), bound * 3);
          if (health.kind !== 'resolved' || health.value !== false)
            problems.push(`healthCheck: must resolve false, got ${health.kind}`);
          else if (health.ms > bound)
            problems.push(`healthCheck: resolved false after ${health.ms} ms, over ${bound} ms`);
          const closing = await settle(() => backend.close?.(), bound * 3);
          b = undefined;
          if (closing.kind === 'pending') problems.push(`close(): had not settled after ${closing.ms} ms`);
          expect(
            problems,
            report(
              `with timeoutMs = ${timeoutMs} declared, no call may wait on the server longer than that (the adapter kit's boundedCall does this):`,
              problems,
            ),
          ).toStrictEqual([]);
          expect(server.accepted, 'the backend never connected to the address it was given').toBeGreaterThan(
            0,
          );
        } finally {
          await b?.close?.().catch(() => undefined);
          await server.close();
        }
      }, 60_000);
    }
  });
}
