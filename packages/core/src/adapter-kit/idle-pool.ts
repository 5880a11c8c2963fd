/**
 * Connections kept for reuse between calls that each need one to themselves (blocking reads,
 * per-read consumers): `acquire` an idle one or a new one, `release` it after use (kept up to
 * `maxIdle`, else closed), `discard` one that may be in a bad state, `closeAll` on close.
 * The number open is bounded by the calls in flight plus `maxIdle`.
 */
export class IdlePool<T> {
  readonly #create: () => Promise<T>;
  readonly #destroy: (item: T) => Promise<unknown> | unknown;
  readonly #maxIdle: number;
  readonly #idle: T[] = [];
  readonly #all = new Set<T>();
  #closed = false;

  constructor(options: {
    create: () => Promise<T>;
    destroy: (item: T) => Promise<unknown> | unknown;
    maxIdle: number;
  }) {
    this.#create = options.create;
    this.#destroy = options.destroy;
    this.#maxIdle = options.maxIdle;
  }

  /** Items open now, busy and idle. */
  get size(): number {
    return this.#all.size;
  }

  /** Items waiting for reuse. */
  get idle(): number {
    return this.#idle.length;
  }

  /** An idle item, or a new one; a failed creation rejects and keeps nothing. */
  async acquire(): Promise<T> {
    const idle = this.#idle.pop();
    if (idle !== undefined) return idle;
    const item = await this.#create();
    if (this.#closed) {
      await this.#destroy(item);
      throw new Error('the pool was closed while a connection was being made');
    }
    this.#all.add(item);
    return item;
  }

  /** Put an item back for reuse (or close it when enough are idle, or the pool is closed). */
  release(item: T): void {
    if (!this.#all.has(item)) return;
    if (!this.#closed && this.#idle.length < this.#maxIdle) this.#idle.push(item);
    else void this.discard(item);
  }

  /** Close an item now (it may be broken or still busy). */
  async discard(item: T): Promise<void> {
    if (!this.#all.delete(item)) return;
    const i = this.#idle.indexOf(item);
    if (i >= 0) this.#idle.splice(i, 1);
    await this.#destroy(item);
  }

  /** Close every item, busy ones included; later releases close what they return. */
  async closeAll(): Promise<void> {
    this.#closed = true;
    this.#idle.length = 0;
    const items = [...this.#all];
    this.#all.clear();
    await Promise.allSettled(items.map((item) => this.#destroy(item)));
  }
}
