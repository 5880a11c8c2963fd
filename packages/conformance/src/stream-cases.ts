import { parseStreamId, type StreamEntry, type StreamFields, type StreamingBackend } from '@tiercache/core';
import { describe, expect, it } from 'vitest';
import type { ResolvedStreamOptions } from './options.js';
import type { SuiteContext } from './suite-context.js';

/** Long enough that a blocking read only ends early because of what the case does. */
const LONG_BLOCK_MS = 10_000;

/** Register every `StreamingBackend` case inside the current `describe` block. */
export function defineStreamCases(ctx: SuiteContext<StreamingBackend>, o: ResolvedStreamOptions): void {
  /** Add `n` entries one after another (order matters) and resolve their ids. */
  async function addMany(stream: string, n: number, make = (i: number): StreamFields => [['i', String(i)]]) {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push(await ctx.backend.streamAdd(stream, make(i)));
    return ids;
  }
  const fieldI = (e: StreamEntry): string | undefined => e.fields.find(([f]) => f === 'i')?.[1];

  describe('streamAdd and ids', () => {
    it('has a non-empty string name', () => {
      expect(typeof ctx.backend.name).toBe('string');
      expect(ctx.backend.name.length).toBeGreaterThan(0);
    });

    it('streamAdd resolves a distinct non-empty string id per entry', async () => {
      const ids = await addMany(ctx.streamName('ids'), 5);
      for (const id of ids) {
        expect(typeof id).toBe('string');
        expect(id.length).toBeGreaterThan(0);
      }
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('ids increase in add order: reading after the k-th id returns exactly the later entries', async () => {
      const stream = ctx.streamName('resume');
      const ids = await addMany(stream, 6);
      for (let k = 0; k < ids.length; k++) {
        const after = await ctx.backend.streamRead(stream, ids[k]!, 100);
        expect(
          after.map((e) => e.id),
          `after ${ids[k]}`,
        ).toStrictEqual(ids.slice(k + 1));
      }
    });

    if (o.redisIds) {
      it('ids have the "<ms>-<seq>" form and strictly increase by (ms, seq)', async () => {
        const ids = await addMany(ctx.streamName('redis-ids'), 20);
        const parsed = ids.map((id) => {
          expect(id).toMatch(/^\d+-\d+$/);
          return parseStreamId(id);
        });
        for (let i = 1; i < parsed.length; i++) {
          const [pm, ps] = parsed[i - 1]!;
          const [m, s] = parsed[i]!;
          expect(m > pm || (m === pm && s > ps), `${ids[i - 1]} then ${ids[i]}`).toBe(true);
        }
      });
    }
  });

  describe('streamRead', () => {
    it('reading from "0" returns every entry in add order with its fields', async () => {
      const stream = ctx.streamName('from-zero');
      const ids = await addMany(stream, 5, (i) => [
        ['i', String(i)],
        ['kind', 'test'],
      ]);
      const read = await ctx.backend.streamRead(stream, '0', 100);
      expect(read).toStrictEqual(
        ids.map((id, i) => ({
          id,
          fields: [
            ['i', String(i)],
            ['kind', 'test'],
          ],
        })),
      );
    });

    it('count limits how many entries one read returns, oldest first', async () => {
      const stream = ctx.streamName('count');
      const ids = await addMany(stream, 5);
      const firstTwo = await ctx.backend.streamRead(stream, '0', 2);
      expect(firstTwo.map((e) => e.id)).toStrictEqual(ids.slice(0, 2));
      const nextTwo = await ctx.backend.streamRead(stream, firstTwo[1]!.id, 2);
      expect(nextTwo.map((e) => e.id)).toStrictEqual(ids.slice(2, 4));
    });

    it('a non-blocking read of an unknown stream, or past the last entry, returns []', async () => {
      const stream = ctx.streamName('empty');
      await expect(ctx.backend.streamRead(stream, '0', 10)).resolves.toStrictEqual([]);
      const [last] = (await addMany(stream, 1)) as [string];
      await expect(ctx.backend.streamRead(stream, last, 10)).resolves.toStrictEqual([]);
    });

    it('"$" without blocking returns [] even when the stream has entries', async () => {
      const stream = ctx.streamName('dollar-now');
      await addMany(stream, 3);
      await expect(ctx.backend.streamRead(stream, '$', 10)).resolves.toStrictEqual([]);
    });

    it('keeps field order, duplicate field names, empty strings and unicode', async () => {
      const stream = ctx.streamName('fields');
      const fields: StreamFields = [
        ['b', '1'],
        ['a', '2'],
        ['b', '3'],
        ['empty', ''],
        ['ключ', 'значение 🚀'],
        ['json', '{"x":[1,2]}'],
      ];
      const id = await ctx.backend.streamAdd(stream, fields);
      await expect(ctx.backend.streamRead(stream, '0', 10)).resolves.toStrictEqual([{ id, fields }]);
      await expect(ctx.backend.streamReadLatest(stream, 1)).resolves.toStrictEqual([{ id, fields }]);
    });

    it('separate streams are isolated', async () => {
      const a = ctx.streamName('iso-a');
      const b = ctx.streamName('iso-b');
      const idA = await ctx.backend.streamAdd(a, [['s', 'a']]);
      const idB = await ctx.backend.streamAdd(b, [['s', 'b']]);
      await expect(ctx.backend.streamRead(a, '0', 10)).resolves.toStrictEqual([
        { id: idA, fields: [['s', 'a']] },
      ]);
      await expect(ctx.backend.streamRead(b, '0', 10)).resolves.toStrictEqual([
        { id: idB, fields: [['s', 'b']] },
      ]);
    });
  });

  describe('streamReadLatest', () => {
    it('returns the newest entries first, limited to count', async () => {
      const stream = ctx.streamName('latest');
      const ids = await addMany(stream, 6);
      const latest = await ctx.backend.streamReadLatest(stream, 3);
      expect(latest.map((e) => e.id)).toStrictEqual(ids.slice(3).reverse());
      expect(latest.map(fieldI)).toStrictEqual(['5', '4', '3']);
      const all = await ctx.backend.streamReadLatest(stream, 100);
      expect(all.map((e) => e.id)).toStrictEqual([...ids].reverse());
    });

    it('returns [] for an unknown stream', async () => {
      await expect(ctx.backend.streamReadLatest(ctx.streamName('latest-none'), 5)).resolves.toStrictEqual([]);
    });
  });

  describe('blocking reads', () => {
    it(
      '"$" with blockMs returns only an entry added after the call',
      async () => {
        const stream = ctx.streamName('block-new');
        await addMany(stream, 2);
        let added: Promise<string> | undefined;
        const timer = setTimeout(() => {
          added = ctx.backend.streamAdd(stream, [['i', 'late']]);
        }, o.blockToleranceMs);
        try {
          const read = await ctx.backend.streamRead(stream, '$', 10, { blockMs: LONG_BLOCK_MS });
          expect(added, 'the read returned before the entry was added').toBeDefined();
          const id = await added;
          expect(read).toStrictEqual([{ id, fields: [['i', 'late']] }]);
        } finally {
          clearTimeout(timer);
          await added?.catch(() => undefined);
        }
      },
      o.blockCaseTimeoutMs,
    );

    it(
      'a blocking read returns at once when entries after lastId already exist',
      async () => {
        const stream = ctx.streamName('block-ready');
        const ids = await addMany(stream, 3);
        const read = await ctx.backend.streamRead(stream, ids[0]!, 10, { blockMs: LONG_BLOCK_MS * 100 });
        expect(read.map((e) => e.id)).toStrictEqual(ids.slice(1));
      },
      o.blockCaseTimeoutMs,
    );

    it(
      'a blocking read with nothing new resolves [] after about blockMs',
      async () => {
        const stream = ctx.streamName('block-timeout');
        await addMany(stream, 1);
        const blockMs = Math.max(300, o.blockToleranceMs * 3);
        const started = Date.now();
        const read = await ctx.backend.streamRead(stream, '$', 10, { blockMs });
        const elapsed = Date.now() - started;
        expect(read).toStrictEqual([]);
        expect(elapsed).toBeGreaterThanOrEqual(blockMs - o.blockToleranceMs);
        // Only a bound that catches a read that ignores blockMs and hangs.
        expect(elapsed).toBeLessThan(blockMs * 10 + 10_000);
      },
      o.blockCaseTimeoutMs,
    );

    it(
      'aborting the signal ends a blocking read with []',
      async () => {
        const stream = ctx.streamName('block-abort');
        const controller = new AbortController();
        const blockMs = LONG_BLOCK_MS * 6;
        const timer = setTimeout(() => controller.abort(), o.blockToleranceMs);
        try {
          const started = Date.now();
          const read = await ctx.backend.streamRead(stream, '$', 10, { blockMs, signal: controller.signal });
          expect(read).toStrictEqual([]);
          expect(controller.signal.aborted, 'the read ended before the abort').toBe(true);
          expect(Date.now() - started, 'the read waited for blockMs instead of ending on abort').toBeLessThan(
            blockMs / 2,
          );
        } finally {
          clearTimeout(timer);
        }
      },
      o.blockCaseTimeoutMs,
    );

    it(
      'an already-aborted signal resolves [] without waiting',
      async () => {
        const stream = ctx.streamName('block-pre-aborted');
        const blockMs = LONG_BLOCK_MS * 6;
        const started = Date.now();
        const read = await ctx.backend.streamRead(stream, '$', 10, { blockMs, signal: AbortSignal.abort() });
        expect(read).toStrictEqual([]);
        expect(Date.now() - started).toBeLessThan(blockMs / 2);
      },
      o.blockCaseTimeoutMs,
    );
  });

  describe('maxLen', () => {
    const maxLen = 10;
    // Redis's "MAXLEN ~" trims whole nodes of up to 100 entries; 250 adds leave room to trim.
    const total = 250;
    it(
      o.trims
        ? `maxLen trims approximately: ${total} adds with maxLen ${maxLen} keep at least ${maxLen} and fewer than ${total}, newest last`
        : `without trimming every one of ${total} entries added with maxLen ${maxLen} is kept`,
      async () => {
        const stream = ctx.streamName('maxlen');
        const ids: string[] = [];
        for (let i = 0; i < total; i++)
          ids.push(await ctx.backend.streamAdd(stream, [['i', String(i)]], { maxLen }));
        const kept = await ctx.backend.streamRead(stream, '0', total + 10);
        if (o.trims) {
          expect(kept.length).toBeGreaterThanOrEqual(maxLen);
          expect(kept.length).toBeLessThan(total);
        } else {
          expect(kept.length).toBe(total);
        }
        // Trimming drops the oldest entries: what is left is the newest run, in order.
        expect(kept.map((e) => e.id)).toStrictEqual(ids.slice(total - kept.length));
        const [newest] = await ctx.backend.streamReadLatest(stream, 1);
        expect(newest?.id).toBe(ids[total - 1]);
      },
      o.blockCaseTimeoutMs,
    );
  });

  describe('health', () => {
    it('healthCheck, when offered, resolves true', async () => {
      const b = ctx.backend;
      if (b.healthCheck === undefined) {
        expect(b.healthCheck).toBeUndefined();
        return;
      }
      await expect(b.healthCheck()).resolves.toBe(true);
    });
  });
}
