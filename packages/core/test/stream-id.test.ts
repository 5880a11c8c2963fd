import { describe, expect, it } from 'vitest';
import { compareStreamIds, InvalidStreamIdError } from '../src/index.js';

describe('compareStreamIds', () => {
  it('orders Redis ids by number, where string order gets them wrong', () => {
    expect(compareStreamIds('1700000000000-9', '1700000000000-10')).toBeLessThan(0);
    expect('1700000000000-9' < '1700000000000-10').toBe(false);
    expect(compareStreamIds('999-5', '1000-0')).toBeLessThan(0);
    expect(compareStreamIds('1000-0', '999-5')).toBeGreaterThan(0);
  });

  it("orders Kafka's zero-padded <timestamp>-<partition>-<offset> ids as their strings sort", () => {
    const ids = [
      '0001700000000001-0000-00000000000000000009',
      '0001700000000001-0000-00000000000000000010',
      '0001700000000002-0001-00000000000000000000',
    ];
    for (let i = 1; i < ids.length; i++) expect(compareStreamIds(ids[i - 1]!, ids[i]!)).toBeLessThan(0);
    expect([...ids].reverse().sort(compareStreamIds)).toStrictEqual(ids);
  });

  it('ignores leading zeros, counts a missing part as 0, and has no size limit', () => {
    expect(compareStreamIds('0005-01', '5-1')).toBe(0);
    expect(compareStreamIds('5', '5-0')).toBe(0);
    expect(compareStreamIds('5', '5-1')).toBeLessThan(0);
    expect(compareStreamIds('0', '0-0')).toBe(0);
    expect(compareStreamIds('18446744073709551615-0', '18446744073709551616-0')).toBeLessThan(0);
  });

  it('refuses what is not an id, "$" included, with InvalidStreamIdError', () => {
    for (const bad of ['$', '', 'abc', '1-', '-1', '1--2', '1.5-0', ' 1-0']) {
      expect(() => compareStreamIds(bad, '1-0'), bad).toThrow(InvalidStreamIdError);
      expect(() => compareStreamIds('1-0', bad), bad).toThrow(/whole numbers joined by "-"/);
    }
  });
});
