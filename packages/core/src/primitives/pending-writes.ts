import { globToRegExp } from '../key.js';

/** A write a remote tier missed while it was down, kept to be applied when it is back. */
export type PendingWrite<V> =
  | { kind: 'set'; key: string; value: V; expiresAt: number | undefined }
  | { kind: 'remove'; key: string }
  | { kind: 'pattern'; pattern: string }
  | { kind: 'clear' };

interface Slot<V> {
  op: PendingWrite<V>;
  seq: number;
  matcher?: RegExp;
}

/**
 * The writes a remote tier missed (it failed, timed out, or its breaker was open), in order,
 * the last one per key winning, bounded. They are applied when the tier answers again, and
 * until then reads of those keys from that tier are answered from here, so a key deleted
 * during an outage does not come back from the tier, and a value written during it is the
 * one read afterwards.
 */
export class PendingWrites<V> {
  readonly #slots = new Map<string, Slot<V>>();
  /** Pattern and clear operations, also in `#slots`; reads check them against every key. */
  readonly #sweeping = new Set<Slot<V>>();
  readonly #max: number;
  #seq = 0;
  /** Writes dropped because more than `max` were waiting. */
  dropped = 0;
  /** Writes dropped because the tier refused them as invalid when they were applied. */
  refused = 0;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#slots.size;
  }

  /** Remember `op`; it replaces an older one on the same key (or pattern). */
  add(op: PendingWrite<V>): void {
    const id = slotId(op);
    const old = this.#slots.get(id);
    if (old) {
      this.#slots.delete(id);
      this.#sweeping.delete(old);
    }
    const slot: Slot<V> = { op, seq: ++this.#seq };
    if (op.kind === 'pattern') slot.matcher = globToRegExp(op.pattern);
    if (op.kind === 'pattern' || op.kind === 'clear') this.#sweeping.add(slot);
    this.#slots.set(id, slot);
    if (this.#slots.size > this.#max) {
      const [oldestId, oldest] = this.#slots.entries().next().value as [string, Slot<V>];
      this.#slots.delete(oldestId);
      this.#sweeping.delete(oldest);
      this.dropped++;
    }
  }

  /**
   * What the tier would hold for `key` once the pending writes are applied: `"removed"`, a
   * value with its remaining TTL, or `undefined` when no pending write concerns the key.
   */
  lookup(key: string, now = Date.now()): 'removed' | { value: V; ttlMs: number | undefined } | undefined {
    const slot = this.#slots.get(`k:${key}`);
    for (const sweep of this.#sweeping) {
      if (slot && sweep.seq < slot.seq) continue;
      if (sweep.op.kind === 'clear' || sweep.matcher?.test(key)) return 'removed';
    }
    if (!slot) return undefined;
    const op = slot.op;
    if (op.kind !== 'set') return 'removed';
    if (op.expiresAt === undefined) return { value: op.value, ttlMs: undefined };
    const left = op.expiresAt - now;
    return left > 0 ? { value: op.value, ttlMs: left } : 'removed';
  }

  /** The pending writes, oldest first, each with a function that forgets it once applied. */
  *drain(): Generator<{ op: PendingWrite<V>; done: () => void }> {
    for (const [id, slot] of [...this.#slots]) {
      yield {
        op: slot.op,
        done: () => {
          // A newer write to the same key may have replaced it meanwhile: keep that one.
          if (this.#slots.get(id) === slot) {
            this.#slots.delete(id);
            this.#sweeping.delete(slot);
          }
        },
      };
    }
  }
}

function slotId<V>(op: PendingWrite<V>): string {
  if (op.kind === 'set' || op.kind === 'remove') return `k:${op.key}`;
  return op.kind === 'pattern' ? `p:${op.pattern}` : 'c';
}
