import type { CacheBackend, StreamingBackend } from '@tiercache/core';
import { describe, expect, it } from 'vitest';
import { assertHasMethods } from './capability.js';
import { LONG_TTL_MS } from './case-ttl.js';
import { type ExitCheck, exitCheckProblem, watchHandles } from './handles.js';
import type { ResolvedCacheOptions, ResolvedStreamOptions } from './options.js';
import { type ExpectedError, rejectionProblem, report, settle, shortly } from './settle.js';
import type { SuiteContext } from './suite-context.js';

const CLOSED: ExpectedError = { name: 'ClosedError', code: 'TIERCACHE_CLOSED' };
/** A call on a closed backend has no server to wait for: anything slower than this is a hang. */
const CLOSED_CALL_BOUND_MS = 5_000;
/** How long sockets and timers get to go away after `close()` resolved (polled). */
const HANDLE_BOUND_MS = 3_000;

/** One call of each asynchronous `CacheBackend` method, with arguments that would succeed on an open backend. */
export function cacheCalls(key: string): Record<string, (b: CacheBackend) => unknown> {
  const any = (b: CacheBackend) => b as unknown as Record<string, (...args: unknown[]) => unknown>;
  return {
    get: (b) => b.get(key),
    setWithTtl: (b) => b.setWithTtl(key, 'v', LONG_TTL_MS),
    remove: (b) => b.remove(key),
    getWithTtl: (b) => any(b).getWithTtl!(key),
    getMany: (b) => b.getMany!([key]),
    setMany: (b) => b.setMany!([{ key, value: 'v', ttlMs: LONG_TTL_MS }]),
    removePattern: (b) => b.removePattern!(`${key}*`),
    clear: (b) => b.clear!(),
    acquireLock: (b) => b.acquireLock!(key, LONG_TTL_MS),
    releaseLock: (b) => b.releaseLock!(key, 'not-a-token'),
    getWithToken: (b) => any(b).getWithToken!(key),
    setIfUnchanged: (b) => any(b).setIfUnchanged!(key, 'v', LONG_TTL_MS, ''),
  };
}

/** The calls of `calls` that `backend` has a method for. */
export function presentCalls<B extends object>(
  backend: B,
  calls: Record<string, (b: B) => unknown>,
): [string, (b: B) => unknown][] {
  const methods = backend as unknown as Record<string, unknown>;
  return Object.entries(calls).filter(([method]) => typeof methods[method] === 'function');
}

/** What is wrong with each call on a closed backend (nothing, when every one rejects with `ClosedError`). */
async function closedCallProblems<B extends object>(
  backend: B,
  calls: Record<string, (b: B) => unknown>,
): Promise<string[]> {
  const problems: string[] = [];
  for (const [method, call] of presentCalls(backend, calls)) {
    const problem = rejectionProblem(await settle(() => call(backend), CLOSED_CALL_BOUND_MS), CLOSED);
    if (problem) problems.push(`${method}: ${problem}`);
  }
  return problems;
}

const CLOSED_HEADING =
  "after close(), every call must reject with ClosedError (code TIERCACHE_CLOSED); the adapter kit's ClosedGuard (@tiercache/core/adapter) does this:";

/** Register the shared lifecycle cases: idempotent close, no handle left, the exit check. */
function closeCases<B extends { close?(): Promise<void> }>(
  fresh: () => Promise<B>,
  use: (backend: B) => Promise<void>,
  exitCheck: ExitCheck | undefined,
  kind: 'cache' | 'stream',
): void {
  it('close() is idempotent: a second call and a concurrent one resolve', async () => {
    const b = await fresh();
    expect(typeof b.close, 'the backend has no close(); every backend must release what it holds').toBe(
      'function',
    );
    const first = b.close!();
    const concurrent = b.close!();
    await expect(first).resolves.toBeUndefined();
    await expect(concurrent, 'a close() made while the first was running').resolves.toBeUndefined();
    await expect(b.close!(), 'a close() after the first resolved').resolves.toBeUndefined();
  });

  it('after close() no socket, timer or other handle it opened keeps the process alive', async () => {
    const watch = watchHandles();
    try {
      const b = await fresh();
      try {
        await use(b);
      } finally {
        await b.close?.();
      }
    } catch (error) {
      await watch.leftOver(0); // stops watching
      throw error;
    }
    const left = await watch.leftOver(HANDLE_BOUND_MS);
    expect(
      left,
      `still open ${HANDLE_BOUND_MS} ms after close(): ${left.join(', ')}; close() must end every socket, timer and child process it started (or unref them)`,
    ).toStrictEqual([]);
  });

  if (exitCheck) {
    it(`a child process that builds, uses and closes the backend exits by itself (${exitCheck.module})`, async () => {
      const problem = await exitCheckProblem(exitCheck, kind);
      expect(problem, problem).toBeUndefined();
    }, 60_000);
  }
}

/** Register the lifecycle cases of a `CacheBackend`. */
export function defineCacheLifecycleCases(ctx: SuiteContext<CacheBackend>, o: ResolvedCacheOptions): void {
  describe('lifecycle', () => {
    it('after close(), every method rejects with ClosedError', async () => {
      const b = await ctx.fresh();
      const key = ctx.key('closed');
      await b.setWithTtl(key, 'before close', LONG_TTL_MS);
      await b.close?.();
      const problems = await closedCallProblems<CacheBackend>(b, cacheCalls(key));
      expect(problems, report(CLOSED_HEADING, problems)).toStrictEqual([]);
    });

    it('after close(), healthCheck resolves false', async () => {
      const b = await ctx.fresh();
      await b.close?.();
      const settled = await settle(() => b.healthCheck(), CLOSED_CALL_BOUND_MS);
      expect(
        settled.kind === 'resolved' ? settled.value : settled.kind,
        `healthCheck() after close() must resolve false (never reject or hang), got ${settled.kind} ${shortly(
          'value' in settled ? settled.value : 'error' in settled ? String(settled.error) : '',
        )}`,
      ).toBe(false);
    });

    if (!o.lacks.has('peek')) {
      it('after close(), peek and peekWithTtl return undefined, never an entry written before', async () => {
        // Synchronous reads cannot reject, and throwing would turn the cache's synchronous L1
        // hit path into a throw; a closed in-process tier holds nothing.
        const b = await ctx.fresh();
        assertHasMethods(b, 'peek', 'peek', 'peekWithTtl');
        const key = ctx.key('closed-peek');
        await b.setWithTtl(key, 'before close', LONG_TTL_MS);
        await b.close?.();
        expect(b.peek(key), 'peek after close()').toBeUndefined();
        expect(b.peekWithTtl(key), 'peekWithTtl after close()').toBeUndefined();
      });
    }

    closeCases(
      () => ctx.fresh(),
      async (b) => {
        const key = ctx.key('handles');
        await b.setWithTtl(key, 'v', LONG_TTL_MS);
        await b.get(key);
      },
      o.exitCheck,
      'cache',
    );
  });
}

/** One call of each `StreamingBackend` method, with arguments that would succeed on an open stream. */
function streamCalls(stream: string): Record<string, (b: StreamingBackend) => unknown> {
  return {
    streamAdd: (b) => b.streamAdd(stream, [['k', 'v']]),
    streamRead: (b) => b.streamRead(stream, '0', 10),
    'streamRead (blocking)': (b) => b.streamRead(stream, '$', 10, { blockMs: 100 }),
    streamReadLatest: (b) => b.streamReadLatest(stream, 10),
  };
}

/** Register the lifecycle cases of a `StreamingBackend`. */
export function defineStreamLifecycleCases(
  ctx: SuiteContext<StreamingBackend>,
  o: ResolvedStreamOptions,
): void {
  describe('lifecycle', () => {
    it('after close(), every method rejects with ClosedError', async () => {
      const b = await ctx.fresh();
      const stream = ctx.streamName('closed');
      await b.streamAdd(stream, [['k', 'before close']]);
      await b.close?.();
      const calls = streamCalls(stream);
      const problems: string[] = [];
      for (const [label, call] of Object.entries(calls)) {
        const problem = rejectionProblem(await settle(() => call(b), CLOSED_CALL_BOUND_MS), CLOSED);
        if (problem) problems.push(`${label}: ${problem}`);
      }
      expect(problems, report(CLOSED_HEADING, problems)).toStrictEqual([]);
    });

    it('after close(), healthCheck (when offered) resolves false', async () => {
      const b = await ctx.fresh();
      await b.close?.();
      if (typeof b.healthCheck !== 'function') {
        expect(b.healthCheck).toBeUndefined();
        return;
      }
      const settled = await settle(() => b.healthCheck!(), CLOSED_CALL_BOUND_MS);
      expect(
        settled.kind === 'resolved' ? settled.value : settled.kind,
        'healthCheck() after close() must resolve false (never reject or hang)',
      ).toBe(false);
    });

    it('a blocking read in flight when close() is called settles promptly', async () => {
      const b = await ctx.fresh();
      const stream = ctx.streamName('close-while-blocked');
      await b.streamAdd(stream, [['k', 'v']]);
      const blocked = settle(() => b.streamRead(stream, '$', 10, { blockMs: 60_000 }), 10_000);
      await new Promise((r) => setTimeout(r, o.blockToleranceMs));
      await b.close?.();
      const settled = await blocked;
      expect(
        settled.kind,
        'a streamRead blocked when close() was called must end (resolve [] or reject with ClosedError) instead of waiting out blockMs',
      ).not.toBe('pending');
      if (settled.kind === 'rejected') expect(rejectionProblem(settled, CLOSED)).toBeUndefined();
      if (settled.kind === 'resolved') expect(settled.value).toStrictEqual([]);
    }, 30_000);

    closeCases(
      () => ctx.fresh(),
      async (b) => {
        const stream = ctx.streamName('handles');
        await b.streamAdd(stream, [['k', 'v']]);
        await b.streamRead(stream, '0', 10);
        await b.streamRead(stream, '$', 10, { blockMs: 50 });
      },
      o.exitCheck,
      'stream',
    );
  });
}
