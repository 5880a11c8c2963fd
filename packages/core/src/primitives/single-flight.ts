interface Flight<V> {
  readonly promise: Promise<V>;
  readonly controller: AbortController;
  /** Waiters that can abort; when all of them have, the run is aborted. */
  abortable: number;
  /** A waiter without a signal joined: the run is never aborted on waiters' behalf. */
  pinned: boolean;
}

/**
 * In-process single-flight: at most one run per key at a time; every caller for that key
 * shares its result or its error. A caller's own `AbortSignal` only stops that caller from
 * waiting; the run itself is aborted when every waiter has aborted, or by `abortAll`.
 */
export class SingleFlight<V> {
  readonly #flights = new Map<string, Flight<V>>();

  /** Runs in flight now. */
  get size(): number {
    return this.#flights.size;
  }

  /** Join the run for `key` if there is one; `undefined` when there is none. */
  join(key: string, signal?: AbortSignal): Promise<V> | undefined {
    const flight = this.#flights.get(key);
    return flight === undefined ? undefined : this.#attach(flight, signal);
  }

  /** Start the run for `key` (call `join` first). `run` gets a signal that aborts the run. */
  start(key: string, run: (signal: AbortSignal) => Promise<V>, signal?: AbortSignal): Promise<V> {
    const controller = new AbortController();
    const promise = new Promise<V>((resolve, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
      let running: Promise<V>;
      try {
        running = run(controller.signal);
      } catch (error) {
        running = Promise.reject(error);
      }
      running.then(resolve, reject);
    });
    const flight: Flight<V> = { promise, controller, abortable: 0, pinned: false };
    this.#flights.set(key, flight);
    const done = (): void => {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    };
    promise.then(done, done);
    return this.#attach(flight, signal);
  }

  /**
   * Let the run for `key` finish for the callers it has, but take no new ones: the next
   * `join` misses and the next `start` begins a run of its own.
   */
  detach(key: string): void {
    this.#flights.delete(key);
  }

  /** Resolves when every run in flight now has settled. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.#flights.values()].map((f) => f.promise));
  }

  /** Abort every run: all their waiters reject with `reason`. */
  abortAll(reason: unknown): void {
    for (const flight of this.#flights.values()) flight.controller.abort(reason);
  }

  #attach(flight: Flight<V>, signal: AbortSignal | undefined): Promise<V> {
    if (signal === undefined) {
      flight.pinned = true;
      return flight.promise;
    }
    if (signal.aborted) return Promise.reject(signal.reason);
    flight.abortable++;
    return new Promise<V>((resolve, reject) => {
      const onAbort = (): void => {
        flight.abortable--;
        reject(signal.reason);
        if (flight.abortable === 0 && !flight.pinned) flight.controller.abort(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      flight.promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }
}
