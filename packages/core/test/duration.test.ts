import { describe, expect, it } from 'vitest';
import { type Duration, InvalidTtlError, parseDuration, parseTtl } from '../src/index.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('duration strings, in the grammar of the ms package', () => {
  it.each<[Duration, number]>([
    ['500ms', 500],
    ['90s', 90 * SECOND],
    ['5m', 5 * MINUTE],
    ['2h', 2 * HOUR],
    ['1d', DAY],
    ['1w', 7 * DAY],
    ['1y', 365.25 * DAY],
    ['1.5h', 1.5 * HOUR],
    ['.5s', 500],
    ['2 days', 2 * DAY],
    ['10 minutes', 10 * MINUTE],
    ['1 minute', MINUTE],
    ['3 weeks', 21 * DAY],
    ['2 years', 730.5 * DAY],
    ['1 hour', HOUR],
    ['2 hrs', 2 * HOUR],
    ['30 secs', 30 * SECOND],
    ['250 milliseconds', 250],
    ['5  mins', 5 * MINUTE],
    ['1 Day', DAY],
    ['1H', HOUR],
    ['100', 100],
  ])('%j is %d ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
    expect(parseTtl(input)).toBe(expected);
  });

  it.each([
    ['5 parsecs', 'not a duration'],
    ['', 'not a duration'],
    ['1 d a y', 'not a duration'],
    ['m', 'not a duration'],
    ['1.2.3s', 'not a duration'],
    ['-5m', 'negative'],
    [`${'9'.repeat(101)}ms`, 'not a duration'],
    ['1e400d', 'not a duration'],
  ])('%j is refused with InvalidTtlError (%s), saying what is accepted', (input, words) => {
    const error = (() => {
      try {
        parseTtl(input);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidTtlError);
    expect((error as InvalidTtlError).code).toBe('TIERCACHE_BAD_TTL');
    expect((error as Error).message).toContain(words);
    if (words === 'not a duration') expect((error as Error).message).toContain('"2 days"');
  });

  it('a zero TTL string is refused like the number 0', () => {
    expect(() => parseTtl('0 seconds')).toThrow(/greater than 0/);
    expect(parseDuration('0 seconds')).toBe(0);
  });

  it('the Duration type admits what parseDuration accepts and refuses an unknown unit at compile time', () => {
    const accepted: Duration[] = ['2 days', '10 minutes', '1w', '1.5h', '100', 5000, '1 Day', '5M'];
    // @ts-expect-error "parsecs" is not a unit: a typo is a compile error for TypeScript users
    const typo: Duration = '5 parsecs';
    expect(accepted.map((d) => parseDuration(d))).toStrictEqual([
      2 * DAY,
      10 * MINUTE,
      7 * DAY,
      1.5 * HOUR,
      100,
      5000,
      DAY,
      5 * MINUTE,
    ]);
    expect(() => parseDuration(typo)).toThrow(InvalidTtlError);
  });
});
