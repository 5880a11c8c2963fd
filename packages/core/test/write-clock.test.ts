import { describe, expect, it } from 'vitest';
import { WriteClock } from '../src/cache/write-clock.js';

describe('WriteClock', () => {
  it('a read is superseded by a write of its key that started after it, not by one of another key', () => {
    const clock = new WriteClock();
    const read = clock.begin('k');
    const other = clock.write('other');
    other();
    expect(clock.superseded(read)).toBe(false);
    const done = clock.write('k');
    expect(clock.superseded(read)).toBe(true);
    done();
    expect(clock.superseded(read)).toBe(true);
    clock.end(read);
  });

  it('a read that starts while a write of its key is under way is superseded (the write may not be in every tier yet)', () => {
    const clock = new WriteClock();
    const done = clock.write('k');
    const read = clock.begin('k');
    expect(clock.superseded(read)).toBe(true);
    done();
    clock.end(read);
    const later = clock.begin('k');
    expect(clock.superseded(later)).toBe(false);
    clock.end(later);
  });

  it('clear and pattern writes supersede every read in flight', () => {
    const clock = new WriteClock();
    const a = clock.begin('a');
    const b = clock.begin('b');
    const done = clock.writeAll();
    done();
    expect(clock.superseded(a)).toBe(true);
    expect(clock.superseded(b)).toBe(true);
    clock.end(a);
    clock.end(b);
  });

  it('keeps state only for keys with reads or writes in flight: back to 0 after any interleaving', () => {
    const clock = new WriteClock();
    const ends: (() => void)[] = [];
    for (let i = 0; i < 1000; i++) {
      const key = `k${i % 37}`;
      if (i % 3 === 0) ends.push(clock.write(key));
      else {
        const ticket = clock.begin(key);
        if (i % 5 === 0) clock.retain(ticket);
        ends.push(() => clock.end(ticket));
        if (i % 5 === 0) ends.push(() => clock.end(ticket));
      }
    }
    expect(clock.size).toBe(37);
    for (const end of ends.reverse()) end();
    expect(clock.size).toBe(0);
  });
});
