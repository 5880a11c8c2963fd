import { describe, expect, it } from 'vitest';
import { SingleFlight } from '../../src/primitives/single-flight.js';

describe('SingleFlight', () => {
  it('runs once per key while a run is in flight, and every caller gets its value', async () => {
    const flights = new SingleFlight<number>();
    let runs = 0;
    let release!: (v: number) => void;
    const first = flights.start('k', () => {
      runs++;
      return new Promise<number>((resolve) => (release = resolve));
    });
    const joined = [flights.join('k'), flights.join('k')];
    expect(flights.join('other')).toBeUndefined();
    release(7);
    expect(await Promise.all([first, ...joined])).toEqual([7, 7, 7]);
    expect(runs).toBe(1);
    expect(flights.size).toBe(0);
    expect(flights.join('k')).toBeUndefined();
  });

  it('gives the error to every waiter and keeps nothing, so the next call runs again', async () => {
    const flights = new SingleFlight<number>();
    const first = flights.start('k', () => Promise.reject(new Error('boom')));
    const joined = flights.join('k')!;
    await expect(first).rejects.toThrow('boom');
    await expect(joined).rejects.toThrow('boom');
    expect(await flights.start('k', () => Promise.resolve(2))).toBe(2);
  });

  it('aborts the run only when every waiter with a signal gave up and none without one waits', async () => {
    const flights = new SingleFlight<number>();
    const a = new AbortController();
    const b = new AbortController();
    let runSignal!: AbortSignal;
    const pa = flights.start(
      'k',
      (signal) => {
        runSignal = signal;
        return new Promise<number>(() => undefined);
      },
      a.signal,
    );
    const pb = flights.join('k', b.signal)!;
    a.abort(new Error('a gave up'));
    await expect(pa).rejects.toThrow('a gave up');
    expect(runSignal.aborted).toBe(false);
    b.abort(new Error('b gave up'));
    await expect(pb).rejects.toThrow('b gave up');
    expect(runSignal.aborted).toBe(true);
  });

  it('a waiter without a signal pins the run: others giving up do not abort it', async () => {
    const flights = new SingleFlight<number>();
    const a = new AbortController();
    let release!: (v: number) => void;
    const pa = flights.start('k', () => new Promise<number>((resolve) => (release = resolve)), a.signal);
    const pinned = flights.join('k')!;
    a.abort(new Error('gone'));
    await expect(pa).rejects.toThrow('gone');
    release(3);
    expect(await pinned).toBe(3);
  });

  it('abortAll rejects every run with the reason and idle() resolves once all settled', async () => {
    const flights = new SingleFlight<number>();
    const p1 = flights.start('a', () => new Promise<number>(() => undefined));
    const p2 = flights.start('b', () => new Promise<number>(() => undefined));
    const idle = flights.idle();
    flights.abortAll(new Error('closing'));
    await expect(p1).rejects.toThrow('closing');
    await expect(p2).rejects.toThrow('closing');
    await idle;
    expect(flights.size).toBe(0);
  });
});
