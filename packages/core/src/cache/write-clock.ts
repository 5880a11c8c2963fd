/**
 * "Writes win": a value read from a tier (or computed by a factory) before a write, delete,
 * invalidation or clear of its key must not be written into any tier after it.
 *
 * Every read that may write back what it read (promotion, `getOrSet`'s load and factory,
 * fail-safe re-writes, eager refresh) takes a {@link ReadTicket} when it starts; every local
 * write and every applied bus message marks its key when it starts and again when it ends.
 * A ticket is *superseded* when its key was marked after the ticket was taken, or a write of
 * the key is still under way: the reader then drops its write-back (the value it read is
 * still returned to its caller: it was current when the read began).
 *
 * Cost: nothing on an L1 hit. A slow read or a write adds one map entry for its key while it
 * is in flight; the map holds only keys with reads or writes in flight, so it never grows
 * with the number of calls.
 */
export class WriteClock {
  #now = 0;
  /** When the last clear, pattern invalidation or bus resync started or ended. */
  #bulkAt = 0;
  #bulkInFlight = 0;
  readonly #keys = new Map<string, KeyState>();

  /** Keys tracked now (for tests: it must go back to 0 when nothing is in flight). */
  get size(): number {
    return this.#keys.size;
  }

  /** Start a read of `key` whose result may be written back. End it with {@link end}. */
  begin(key: string): ReadTicket {
    const state = this.#state(key);
    state.readers++;
    return { key, at: this.#now, state };
  }

  /** `true` when a write of the ticket's key started, ended or is running since the ticket was taken. */
  superseded(ticket: ReadTicket): boolean {
    const state = ticket.state;
    return (
      state.writers > 0 || state.lastWrite > ticket.at || this.#bulkInFlight > 0 || this.#bulkAt > ticket.at
    );
  }

  /** Keep a ticket alive for one more {@link end} (work that outlives the call that took it). */
  retain(ticket: ReadTicket): void {
    ticket.state.readers++;
  }

  /** The read is over (once per `begin` or `retain`). */
  end(ticket: ReadTicket): void {
    const state = ticket.state;
    state.readers--;
    this.#release(ticket.key, state);
  }

  /** A write of `key` starts; call the returned function when it has ended (success or not). */
  write(key: string): WriteMark {
    const state = this.#state(key);
    state.writers++;
    const mine = ++this.#now;
    state.lastWrite = mine;
    const written = state;
    const bulkAt = this.#bulkAt;
    const done = (() => {
      written.writers--;
      written.lastWrite = ++this.#now;
      this.#release(key, written);
    }) as WriteMark;
    // Another write of the key (or a clear) started or ended since this one started.
    done.overtaken = () =>
      written.lastWrite !== mine || written.writers > 1 || this.#bulkAt !== bulkAt || this.#bulkInFlight > 0;
    return done;
  }

  /** A write of many keys at once (clear, pattern, resync) starts; call the result when it ended. */
  writeAll(): () => void {
    this.#bulkInFlight++;
    this.#bulkAt = ++this.#now;
    return () => {
      this.#bulkInFlight--;
      this.#bulkAt = ++this.#now;
    };
  }

  #state(key: string): KeyState {
    let state = this.#keys.get(key);
    if (state === undefined) {
      state = { readers: 0, writers: 0, lastWrite: 0 };
      this.#keys.set(key, state);
    }
    return state;
  }

  #release(key: string, state: KeyState): void {
    if (state.readers === 0 && state.writers === 0 && this.#keys.get(key) === state) this.#keys.delete(key);
  }
}

/** Ends a write (call it once); `overtaken()` says whether another write of the key came meanwhile. */
export interface WriteMark {
  (): void;
  overtaken(): boolean;
}

interface KeyState {
  readers: number;
  writers: number;
  lastWrite: number;
}

/** A read in flight, from {@link WriteClock.begin}. */
export interface ReadTicket {
  readonly key: string;
  readonly at: number;
  readonly state: KeyState;
  /**
   * Set by a `getOrSet` load: per tier index, the token of what a tier with guarded writes held
   * when it was read, so the factory's result is stored there only if nothing changed since.
   */
  tokens?: (string | undefined)[];
}
