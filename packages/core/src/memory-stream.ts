import type {
  StreamAddOptions,
  StreamEntry,
  StreamFields,
  StreamingBackend,
  StreamReadOptions,
} from './contracts.js';
import { ClosedError, InvalidOptionError, InvalidStreamIdError } from './errors.js';

/** Options for {@link MemoryStream}. */
export interface MemoryStreamOptions {
  /** Name in stats; default `"memory-stream"`. */
  name?: string;
}

interface StoredEntry {
  id: string;
  ms: number;
  seq: number;
  fields: StreamFields;
}

interface Waiter {
  wake: () => void;
}

/**
 * Parse a Redis-style id (`"<ms>-<seq>"` or `"<ms>"`) into a comparable pair.
 * Exported for backends that reuse the format.
 */
export function parseStreamId(id: string): [ms: number, seq: number] {
  const match = typeof id === 'string' ? /^(\d{1,20})(?:-(\d{1,20}))?$/.exec(id) : null;
  if (!match) {
    throw new InvalidStreamIdError(
      `stream id "${String(id)}" is not "0", "$" or "<milliseconds>-<sequence>"`,
    );
  }
  // Both parts are unsigned 64-bit integers on Redis; a larger one is refused there too.
  for (const part of [match[1]!, match[2]]) {
    if (part !== undefined && BigInt(part) > MAX_ID_PART) {
      throw new InvalidStreamIdError(
        `stream id "${id}" has a part over 18446744073709551615 (2^64 - 1), the largest a stream id can hold`,
      );
    }
  }
  return [Number(match[1]), match[2] === undefined ? 0 : Number(match[2])];
}

const MAX_ID_PART = 2n ** 64n - 1n;

/** The longest blocking read: `setTimeout` overflows past 2^31 - 1 ms (about 24.8 days). */
export const MAX_BLOCK_MS = 2 ** 31 - 1;

/**
 * Check a blocking read's `blockMs` for every stream backend: `undefined` or a finite number of
 * ms from 0 to {@link MAX_BLOCK_MS}. Returns it (0 when absent); throws {@link InvalidOptionError}.
 */
export function checkBlockMs(name: string, blockMs: unknown): number {
  if (blockMs === undefined) return 0;
  if (typeof blockMs !== 'number' || !Number.isFinite(blockMs) || blockMs < 0) {
    throw new InvalidOptionError(
      `${name}: blockMs must be a finite number of milliseconds >= 0, got ${String(blockMs)}`,
    );
  }
  if (blockMs > MAX_BLOCK_MS) {
    throw new InvalidOptionError(
      `${name}: blockMs must be at most ${MAX_BLOCK_MS} (about 24.8 days, the longest timer Node.js has), got ${blockMs}; read again in a loop to wait longer`,
    );
  }
  return blockMs;
}

/**
 * An in-process {@link StreamingBackend} with Redis-style ids (`"<ms>-<seq>"`), blocking reads
 * and `maxLen` trimming. The embedded default for the demo and the reference the streaming
 * conformance suite is checked against. Entries live as long as the instance.
 */
export class MemoryStream implements StreamingBackend {
  readonly name: string;
  readonly #streams = new Map<string, StoredEntry[]>();
  readonly #waiters = new Map<string, Set<Waiter>>();
  #lastMs = 0;
  #lastSeq = 0;
  #closed = false;

  constructor(options: MemoryStreamOptions = {}) {
    this.name = options.name ?? 'memory-stream';
  }

  async streamAdd(stream: string, fields: StreamFields, options: StreamAddOptions = {}): Promise<string> {
    this.#open();
    const now = Date.now();
    if (now > this.#lastMs) {
      this.#lastMs = now;
      this.#lastSeq = 0;
    } else {
      this.#lastSeq++;
    }
    const entry: StoredEntry = {
      id: `${this.#lastMs}-${this.#lastSeq}`,
      ms: this.#lastMs,
      seq: this.#lastSeq,
      fields: fields.map(([f, v]) => [f, v]),
    };
    let list = this.#streams.get(stream);
    if (!list) {
      list = [];
      this.#streams.set(stream, list);
    }
    list.push(entry);
    if (options.maxLen !== undefined && list.length > options.maxLen)
      list.splice(0, list.length - options.maxLen);
    const waiters = this.#waiters.get(stream);
    if (waiters) for (const w of [...waiters]) w.wake();
    return entry.id;
  }

  async streamReadLatest(stream: string, count: number): Promise<StreamEntry[]> {
    this.#open();
    const list = this.#streams.get(stream) ?? [];
    return list
      .slice(Math.max(0, list.length - count))
      .reverse()
      .map(toEntry);
  }

  async streamRead(
    stream: string,
    lastId: string,
    count: number,
    options: StreamReadOptions = {},
  ): Promise<StreamEntry[]> {
    this.#open();
    let after: [number, number];
    if (lastId === '$') after = [this.#lastMs, this.#lastSeq];
    else if (lastId === '0') after = [-1, -1];
    else after = parseStreamId(lastId);
    checkBlockMs(this.name, options.blockMs);
    const found = this.#after(stream, after, count);
    if (found.length > 0 || !options.blockMs || options.blockMs <= 0 || options.signal?.aborted) return found;
    return new Promise<StreamEntry[]>((resolve) => {
      let waiters = this.#waiters.get(stream);
      if (!waiters) {
        waiters = new Set();
        this.#waiters.set(stream, waiters);
      }
      const finish = (): void => {
        clearTimeout(timer);
        waiters.delete(waiter);
        options.signal?.removeEventListener('abort', onAbort);
        resolve(this.#closed ? [] : this.#after(stream, after, count));
      };
      const onAbort = (): void => finish();
      const waiter: Waiter = { wake: finish };
      const timer = setTimeout(finish, options.blockMs);
      waiters.add(waiter);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async healthCheck(): Promise<boolean> {
    return !this.#closed;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const set of this.#waiters.values()) for (const w of [...set]) w.wake();
    this.#streams.clear();
  }

  #after(stream: string, [ms, seq]: [number, number], count: number): StreamEntry[] {
    const list = this.#streams.get(stream) ?? [];
    const out: StreamEntry[] = [];
    for (const e of list) {
      if (e.ms > ms || (e.ms === ms && e.seq > seq)) {
        out.push(toEntry(e));
        if (out.length >= count) break;
      }
    }
    return out;
  }

  #open(): void {
    if (this.#closed) throw new ClosedError(`MemoryStream "${this.name}"`);
  }
}

function toEntry(e: StoredEntry): StreamEntry {
  return { id: e.id, fields: e.fields.map(([f, v]) => [f, v]) };
}
