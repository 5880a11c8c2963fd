import { describe, expect, it } from 'vitest';
import { BusSigner, decodeBusMessage } from '../src/bus-message.js';
import { redactSecrets, redactUrl } from '../src/redact.js';
import { SenderTable } from '../src/sender-table.js';

const limits = { maxMessageBytes: 16 * 1024, maxItems: 10_000 };

describe('SenderTable', () => {
  it('places each sequence number: next, repeat, gap, jump (forgotten), behind (new baseline)', () => {
    const t = new SenderTable(10, 1000);
    const place = (seq: number) => t.observe('a', seq, 0).placement;
    expect(place(5)).toBe('first');
    expect(place(6)).toBe('next');
    expect(place(6)).toBe('repeat');
    expect(place(9)).toBe('gap');
    expect(place(9 + 1001)).toBe('jump');
    expect(place(1)).toBe('first'); // forgotten after the jump
    expect(place(2)).toBe('next');
    expect(place(900)).toBe('gap');
    expect(place(100)).toBe('behind');
    expect(place(101)).toBe('next');
  });

  it('keeps at most maxSenders, forgetting the least recently heard and saying when it was heard', () => {
    const t = new SenderTable(2, 1000);
    t.observe('a', 1, 10);
    t.observe('b', 1, 20);
    t.observe('a', 2, 30); // a is now the most recent
    expect(t.observe('c', 1, 40)).toEqual({ placement: 'first', evictedSeenAt: 20 });
    expect(t.size).toBe(2);
    expect(t.observe('a', 3, 50).placement).toBe('next');
    expect(t.observe('b', 2, 60).placement).toBe('first');
  });
});

describe('decodeBusMessage and BusSigner', () => {
  const signer = new BusSigner(['a new secret of 32 bytes, random', 'the old secret, also 32 bytes ok']);
  const body = JSON.stringify({ v: 2, src: 's', seq: 1, keys: ['k'] });

  it('accepts a signed message on its channel only, with either key', () => {
    const wire = signer.sign('ch', body);
    expect(decodeBusMessage(wire, 'ch', limits, signer)).toMatchObject({ ok: true });
    expect(decodeBusMessage(wire, 'other', limits, signer)).toEqual({ ok: false, reason: 'signature' });
    const old = new BusSigner('the old secret, also 32 bytes ok').sign('ch', body);
    expect(decodeBusMessage(old, 'ch', limits, signer)).toMatchObject({ ok: true });
    expect(decodeBusMessage(body, 'ch', limits, signer)).toEqual({ ok: false, reason: 'signature' });
    // Without a secret, the body of a signed message is read (unverified).
    expect(decodeBusMessage(wire, 'ch', limits, undefined)).toMatchObject({ ok: true });
  });

  it('refuses short secrets and more than two', () => {
    expect(() => new BusSigner('short')).toThrow(/at least 16 bytes/);
    expect(() => new BusSigner(['x'.repeat(16), 'y'.repeat(16), 'z'.repeat(16)])).toThrow(/list of two/);
  });

  it('accepts tag invalidations as [tag, time] pairs and rejects every other shape', () => {
    const wire = (tags: unknown) => JSON.stringify({ v: 2, src: 's', seq: 1, tags });
    expect(decodeBusMessage(wire([['t', 1732890000000.5]]), 'ch', limits, undefined)).toEqual({
      ok: true,
      message: { v: 2, src: 's', seq: 1, tags: [['t', 1732890000000.5]] },
    });
    const hostile = [
      'not-an-array',
      {},
      ['t'],
      [['t']],
      [['t', 1, 2]],
      [['', 1]],
      [[1, 1]],
      [['t', '1']],
      [['t', -1]],
      [['t', null]],
      [['x'.repeat(5000), 1]],
      [{ 0: 't', 1: 1, length: 2 }],
    ];
    for (const tags of hostile) {
      expect(decodeBusMessage(wire(tags), 'ch', limits, undefined)).toMatchObject({
        ok: false,
        reason: 'malformed',
      });
    }
    // 1e400 parses to Infinity; 1e16 is past any time an entry can have.
    for (const time of ['1e400', '1e16']) {
      const text = `{"v":2,"src":"s","seq":1,"tags":[["t",${time}]]}`;
      expect(decodeBusMessage(text, 'ch', limits, undefined)).toMatchObject({
        ok: false,
        reason: 'malformed',
      });
    }
    const many = Array.from({ length: limits.maxItems + 1 }, (_, i) => [`t${i}`, 1]);
    expect(decodeBusMessage(wire(many), 'ch', limits, undefined)).toMatchObject({
      ok: false,
      reason: 'too-large',
    });
  });

  it('never throws, whatever arrives', () => {
    for (const wire of [null, undefined, 42, {}, 'null', '[]', '"x"', 'x.y', '{"v":2}', '\uD800']) {
      expect(decodeBusMessage(wire, 'ch', limits, undefined).ok).toBe(false);
    }
  });
});

describe('redaction', () => {
  it('takes the password out of URLs and leaves the rest', () => {
    expect(redactUrl('redis://user:s3cret@host:6379/0')).toBe('redis://user:[redacted]@host:6379/0');
    expect(redactUrl('rediss://:s3cret@host')).toBe('rediss://:[redacted]@host');
    expect(redactUrl('redis://host:6379')).toBe('redis://host:6379');
  });

  it('strips AUTH/HELLO arguments from an error and its causes, in place', () => {
    const inner = Object.assign(new Error('WRONGPASS'), { command: { name: 'auth', args: ['bob', 'pw1'] } });
    const outer = new Error('failed on redis://bob:pw2@h:1', { cause: inner });
    const hello = Object.assign(new Error('NOPROTO'), {
      command: { name: 'HELLO', args: ['3', 'AUTH', 'bob', 'pw3'] },
    });
    const get = Object.assign(new Error('x'), { command: { name: 'get', args: ['key'] } });
    redactSecrets(outer);
    redactSecrets(hello);
    redactSecrets(get);
    const text =
      JSON.stringify([inner, hello].map((e) => (e as unknown as { command: unknown }).command)) +
      outer.message +
      outer.stack;
    expect(text).not.toMatch(/pw1|pw2|pw3/);
    expect((get as unknown as { command: { args: string[] } }).command.args).toEqual(['key']);
  });
});
