import { describe, expect, it } from 'vitest';
import { OptionReader, rejectUnknownKeys } from '../src/adapter-kit/options.js';
import { resolveConfig } from '../src/cache/config.js';
import { InvalidOptionError, MemoryBackend, MemoryBusHub, TieredCache } from '../src/index.js';

interface Demo {
  name?: string;
  maxEntries?: number;
  timeout?: number | string;
  mode?: 'a' | 'b';
}

describe('the option kit', () => {
  it('rejects an unknown key with the closest known one as a did-you-mean', () => {
    expect(() => rejectUnknownKeys('Demo', { maxEntires: 1 }, ['name', 'maxEntries'])).toThrow(
      'Demo: unknown option "maxEntires"; did you mean "maxEntries"?',
    );
  });

  it('names the nearest known key, not a shorter key the unknown one starts with', () => {
    expect(() => rejectUnknownKeys('Demo', { meterProvder: 1 }, ['meter', 'meterProvider'])).toThrow(
      'Demo: unknown option "meterProvder"; did you mean "meterProvider"?',
    );
    expect(() => rejectUnknownKeys('Demo', { ttll: 1 }, ['ttl', 'name'])).toThrow('did you mean "ttl"?');
  });

  it('lists the known options when nothing is close, and uses an alias where one is given', () => {
    expect(() => rejectUnknownKeys('Demo', { zzz: 1 }, ['name', 'maxEntries'])).toThrow(
      'Demo: unknown option "zzz"; known options are "name", "maxEntries"',
    );
    expect(() =>
      rejectUnknownKeys('Demo', { max: 1 }, ['name', 'maxEntries'], { max: 'maxEntries' }),
    ).toThrow('did you mean "maxEntries"?');
  });

  it('reads values in one message format and never prints a whole object', () => {
    const read = new OptionReader<Demo>('Demo', { maxEntries: 0, mode: 'c' as never, name: '' }, [
      'name',
      'maxEntries',
      'timeout',
      'mode',
    ]);
    expect(() => read.integer('maxEntries', 1)).toThrow(
      'Demo: maxEntries must be a whole number >= 1, got 0',
    );
    expect(() => read.oneOf('mode', ['a', 'b'] as const)).toThrow(
      'Demo: mode must be one of "a", "b", got "c"',
    );
    expect(() => read.string('name')).toThrow('Demo: name must be a non-empty string, got ""');
    expect(read.duration('timeout', '2s')).toBe(2000);
    expect(() => new OptionReader<Demo>('Demo', 5, ['name'])).toThrow(InvalidOptionError);
    expect(() =>
      new OptionReader<Demo>('Demo', { name: { password: 'secret' } }, ['name']).string('name'),
    ).toThrow('got an object');
  });
});

describe('resolveConfig (TieredCache options)', () => {
  it('applies the defaults: one in-memory tier, 5 min TTL, tolerate failing writes, lock on', () => {
    const config = resolveConfig({});
    expect(config.name).toBe('tiercache');
    expect(config.tiers).toHaveLength(1);
    expect(config.defaultTtlMs).toBe(300_000);
    expect(config.raiseWrites).toBe(false);
    expect(config.lock).toEqual({ leaseMs: 10_000, pollMs: 10 });
    expect(config.closeTimeoutMs).toBe(5000);
    expect(config.graceMs).toBe(0);
  });

  it('turns every duration into ms', () => {
    const config = resolveConfig({
      ttl: '90s',
      grace: '1m',
      closeTimeout: '2s',
      factoryTimeout: 250,
      lock: { lease: '5s' },
    });
    expect(config.defaultTtlMs).toBe(90_000);
    expect(config.graceMs).toBe(60_000);
    expect(config.closeTimeoutMs).toBe(2000);
    expect(config.factoryTimeoutMs).toBe(250);
    expect(config.lock?.leaseMs).toBe(5000);
  });

  it.each([
    [{ ttll: '5m' }, 'TieredCache: unknown option "ttll"; did you mean "ttl"?'],
    [{ stores: [] }, 'TieredCache: unknown option "stores"; did you mean "tiers"?'],
    [{ timeout: 10 }, 'did you mean "factoryTimeout"?'],
    [{ lock: { leese: 1 } }, 'TieredCache lock: unknown option "leese"; did you mean "lease"?'],
    [
      { tiers: [{ backend: new MemoryBackend(), scale: 2 }] },
      'TieredCache: tiers[0]: unknown option "scale"',
    ],
    [{ tiers: [] }, 'TieredCache: tiers must be a non-empty array'],
    [
      { writeFailures: 'ignore' },
      'TieredCache: writeFailures must be one of "tolerate", "raise", got "ignore"',
    ],
    [{ jitter: 0.9 }, 'TieredCache: jitter must be a finite number >= 0 and <= 0.5, got 0.9'],
    [{ eagerRefresh: 1 }, 'TieredCache: eagerRefresh must be a fraction of the TTL between 0 and 1'],
    [{ maxKeyLength: 0 }, 'TieredCache: maxKeyLength must be a whole number >= 1, got 0'],
    [{ broadcastSets: 'yes' }, 'TieredCache: broadcastSets must be true or false, got "yes"'],
  ])('rejects %j', (options, message) => {
    expect(() => resolveConfig(options as never)).toThrow(message);
    expect(() => new TieredCache(options as never)).toThrow(InvalidOptionError);
  });

  it.each([
    [
      { bus: { transport: new MemoryBusHub().transport(), chanel: 'x' } },
      'TieredCache bus: unknown option "chanel"; did you mean "channel"?',
    ],
    [
      { bus: { transport: new MemoryBusHub().transport(), retryMs: 0 } },
      'TieredCache bus: retryMs must be a finite number > 0, got 0',
    ],
    [
      { tiers: [{ backend: new MemoryBackend(), breaker: { failureTreshold: 3 } }] },
      'TieredCache: tiers[0].breaker: unknown option "failureTreshold"; did you mean "failureThreshold"?',
    ],
  ])('rejects the nested options %j, naming where they sit', (options, message) => {
    expect(() => new TieredCache(options as never)).toThrow(message);
  });
});
