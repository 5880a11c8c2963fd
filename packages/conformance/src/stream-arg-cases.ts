import {
  compareStreamIds,
  type StreamAddOptions,
  type StreamingBackend,
  type StreamReadOptions,
} from '@tiercache/core';
import { describe, expect, it } from 'vitest';
import { type ExpectedError, rejectionProblem, report, settle, shortly } from './settle.js';
import type { SuiteContext } from './suite-context.js';

const BAD_OPTION: ExpectedError = { name: 'InvalidOptionError', code: 'TIERCACHE_BAD_OPTION' };
const BAD_VALUE: ExpectedError = { name: 'InvalidValueError', code: 'TIERCACHE_BAD_VALUE' };
const BAD_ID: ExpectedError = { name: 'InvalidStreamIdError', code: 'TIERCACHE_BAD_STREAM_ID' };
const BAD_NAME: ExpectedError = { name: 'InvalidStreamNameError', code: 'TIERCACHE_BAD_STREAM_NAME' };

/** One bad call: a label for the message and the call. */
type BadCall = [label: string, call: (b: StreamingBackend) => unknown];

/**
 * Register the stream-argument cases: every `StreamingBackend` answers the same bad call with
 * the same error class, as a rejection, before anything is sent. The rules are the adapter
 * kit's `checkStreamOptions`, `checkCount`, `checkMaxLen`, `checkBlockMs`, `checkFields`, `checkReadId` and
 * `checkStreamName` (`@tiercache/core/adapter`).
 */
export function defineStreamArgumentCases(ctx: SuiteContext<StreamingBackend>): void {
  async function problemsOf(calls: BadCall[], expected: ExpectedError): Promise<string[]> {
    const problems: string[] = [];
    for (const [label, call] of calls) {
      const problem = rejectionProblem(await settle(() => call(ctx.backend), 10_000), expected);
      if (problem) problems.push(`${label}: ${problem}`);
    }
    return problems;
  }
  const expectNothingAdded = (stream: string) =>
    expect(ctx.backend.streamRead(stream, '0', 10), 'a refused add must not add').resolves.toStrictEqual([]);
  const rule = (what: string, kit: string) =>
    `${what}; use ${kit} from @tiercache/core/adapter so every backend answers alike:`;

  describe('stream arguments', () => {
    it('count 0, -1, 1.5 or NaN rejects with InvalidOptionError (streamRead and streamReadLatest)', async () => {
      const stream = ctx.streamName('arg-count');
      await ctx.backend.streamAdd(stream, [['k', 'v']]);
      const calls: BadCall[] = [0, -1, 1.5, Number.NaN].flatMap((count): BadCall[] => [
        [`streamRead(count ${count})`, (b) => b.streamRead(stream, '0', count)],
        [`streamReadLatest(count ${count})`, (b) => b.streamReadLatest(stream, count)],
      ]);
      const problems = await problemsOf(calls, BAD_OPTION);
      expect(
        problems,
        report(rule('count must be a whole number >= 1', 'checkCount'), problems),
      ).toStrictEqual([]);
    });

    it('maxLen 0, -1 or 1.5 rejects with InvalidOptionError and adds nothing', async () => {
      const stream = ctx.streamName('arg-maxlen');
      const calls = [0, -1, 1.5].map(
        (maxLen): BadCall => [
          `streamAdd(maxLen ${maxLen})`,
          (b) => b.streamAdd(stream, [['k', 'v']], { maxLen }),
        ],
      );
      const problems = await problemsOf(calls, BAD_OPTION);
      expect(
        problems,
        report(rule('maxLen must be absent or a whole number >= 1', 'checkMaxLen'), problems),
      ).toStrictEqual([]);
      await expectNothingAdded(stream);
    });

    it('blockMs -1, NaN or 2^31 rejects with InvalidOptionError', async () => {
      const stream = ctx.streamName('arg-block');
      await ctx.backend.streamAdd(stream, [['k', 'v']]);
      const calls = [-1, Number.NaN, 2 ** 31].map(
        (blockMs): BadCall => [
          `streamRead(blockMs ${blockMs})`,
          (b) => b.streamRead(stream, '$', 10, { blockMs }),
        ],
      );
      const problems = await problemsOf(calls, BAD_OPTION);
      expect(
        problems,
        report(rule('blockMs must be a number of ms from 0 to 2^31 - 1', 'checkBlockMs'), problems),
      ).toStrictEqual([]);
    });

    it("options 1000, 'x', null, [] or true (not an object) reject with InvalidOptionError and add nothing", async () => {
      const stream = ctx.streamName('arg-options');
      const bad: unknown[] = [1000, 'x', null, [], true];
      const calls = bad.flatMap((options): BadCall[] => [
        [
          `streamAdd(options ${shortly(options)})`,
          (b) => b.streamAdd(stream, [['k', 'v']], options as StreamAddOptions),
        ],
        [
          `streamRead(options ${shortly(options)})`,
          (b) => b.streamRead(stream, '0', 10, options as StreamReadOptions),
        ],
      ]);
      const problems = await problemsOf(calls, BAD_OPTION);
      expect(
        problems,
        report(
          rule('options must be absent or an object such as { maxLen: 1000 }', 'checkStreamOptions'),
          problems,
        ),
      ).toStrictEqual([]);
      await expectNothingAdded(stream);
    });

    it("fields [], [['a']], [[1, 'x']] or [['', 'v']] reject with InvalidValueError and add nothing", async () => {
      const stream = ctx.streamName('arg-fields');
      const bad: unknown[] = [[], [['a']], [[1, 'x']], [['', 'v']]];
      const calls = bad.map(
        (fields): BadCall => [
          `streamAdd(fields ${shortly(fields)})`,
          (b) => b.streamAdd(stream, fields as [string, string][]),
        ],
      );
      const problems = await problemsOf(calls, BAD_VALUE);
      expect(
        problems,
        report(
          rule(
            'an entry needs at least one [field, value] pair of strings with a non-empty field name',
            'checkFields',
          ),
          problems,
        ),
      ).toStrictEqual([]);
      await expectNothingAdded(stream);
    });

    it('a malformed read id rejects with InvalidStreamIdError', async () => {
      const stream = ctx.streamName('arg-id');
      const own = await ctx.backend.streamAdd(stream, [['k', 'v']]);
      // '1-2-3' is malformed unless the backend's own ids have three parts (Kafka's do).
      const ids = ['abc', '18446744073709551616-0', '-1', '1-'];
      if (own.split('-').length !== 3) ids.push('1-2-3');
      const calls = ids.map(
        (id): BadCall => [`streamRead(lastId ${JSON.stringify(id)})`, (b) => b.streamRead(stream, id, 10)],
      );
      const problems = await problemsOf(calls, BAD_ID);
      expect(
        problems,
        report(
          rule(
            `a read id is "0", "$" or an id of the backend's own form (such as ${JSON.stringify(own)})`,
            'checkReadId',
          ),
          problems,
        ),
      ).toStrictEqual([]);
    });

    it("an empty stream name '' rejects with InvalidStreamNameError", async () => {
      const calls: BadCall[] = [
        ["streamAdd('')", (b) => b.streamAdd('', [['k', 'v']])],
        ["streamRead('')", (b) => b.streamRead('', '0', 10)],
        ["streamReadLatest('')", (b) => b.streamReadLatest('', 10)],
      ];
      const problems = await problemsOf(calls, BAD_NAME);
      expect(
        problems,
        report(rule('a stream name is a non-empty string', 'checkStreamName'), problems),
      ).toStrictEqual([]);
    });

    it('the limits themselves are accepted: count 1, maxLen 1, blockMs 0 and 2^31 - 1', async () => {
      const b = ctx.backend;
      const stream = ctx.streamName('arg-limits');
      const id = await b.streamAdd(stream, [['k', '1']], { maxLen: 1 });
      await expect(b.streamRead(stream, '0', 1)).resolves.toStrictEqual([{ id, fields: [['k', '1']] }]);
      await expect(b.streamReadLatest(stream, 1)).resolves.toStrictEqual([{ id, fields: [['k', '1']] }]);
      await expect(b.streamRead(stream, id, 1, { blockMs: 0 })).resolves.toStrictEqual([]);
      await expect(
        b.streamRead(stream, id, 1, { blockMs: 2 ** 31 - 1, signal: AbortSignal.abort() }),
      ).resolves.toStrictEqual([]);
    });
  });

  describe('stream id order', () => {
    it('ids from streamAdd compare in publish order with compareStreamIds', async () => {
      const stream = ctx.streamName('compare-ids');
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) ids.push(await ctx.backend.streamAdd(stream, [['i', String(i)]]));
      for (let i = 1; i < ids.length; i++) {
        let order: number;
        try {
          order = compareStreamIds(ids[i - 1]!, ids[i]!);
        } catch (error) {
          throw new Error(
            `compareStreamIds cannot read the id ${JSON.stringify(ids[i])}: stream ids must be whole numbers joined by "-" (${String(error)})`,
          );
        }
        expect(
          order,
          `${ids[i - 1]} was added before ${ids[i]}, so compareStreamIds must order it first (ids are compared part by part as numbers)`,
        ).toBeLessThan(0);
      }
      const shuffled = [...ids].reverse();
      expect(shuffled.sort(compareStreamIds)).toStrictEqual(ids);
    });
  });
}
