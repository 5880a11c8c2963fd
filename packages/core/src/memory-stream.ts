import { ClosedGuard } from './adapter-kit/closed-guard.js';
import { OptionReader } from './adapter-kit/options.js';
import {
  checkBlockMs,
  checkCount,
  checkFields,
  checkMaxLen,
  checkReadId,
  checkStreamName,
  checkStreamOptions,
} from './adapter-kit/stream-args.js';
import type {
  StreamAddOptions,
  StreamEntry,
  StreamFields,
  StreamingBackend,
  StreamReadOptions,
} from './contracts.js';
import { parseStreamId } from './stream-id.js';

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
 * An in-process {@link StreamingBackend} with Redis-style ids (`"<ms>-<seq>"`), blocking reads
 * and `maxLen` trimming. The embedded default for the demo and the reference the streaming
 * conformance suite is checked against. Entries live as long as the instance. Arguments are
 * checked with the adapter kit's stream rules, so it answers a bad call as every other
 * `StreamingBackend` does.
 */
export class MemoryStream implements StreamingBackend {
  readonly name: string;
  readonly #streams = new Map<string, StoredEntry[]>();
  readonly #waiters = new Map<string, Set<Waiter>>();
  #lastMs = 0;
  #lastSeq = 0;
  readonly #closed: ClosedGuard;

  constructor(options: MemoryStreamOptions = {}) {
    const read = new OptionReader<MemoryStreamOptions>('MemoryStream', options, ['name']);
    this.name = read.string('name', 'memory-stream');
    this.#closed = new ClosedGuard(`MemoryStream "${this.name}"`);
  }

  async streamAdd(stream: string, fields: StreamFields, options: StreamAddOptions = {}): Promise<string> {
    this.#closed.check();
    checkStreamName(this.name, stream);
    checkFields(this.name, fields);
    checkStreamOptions(this.name, 'streamAdd', options);
    const maxLen = checkMaxLen(this.name, options.maxLen);
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
    if (maxLen !== undefined && list.length > maxLen) list.splice(0, list.length - maxLen);
    const waiters = this.#waiters.get(stream);
    if (waiters) for (const w of [...waiters]) w.wake();
    return entry.id;
  }

  async streamReadLatest(stream: string, count: number): Promise<StreamEntry[]> {
    this.#closed.check();
    checkStreamName(this.name, stream);
    checkCount(this.name, 'streamReadLatest', count);
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
    this.#closed.check();
    checkStreamName(this.name, stream);
    checkReadId(lastId);
    checkCount(this.name, 'streamRead', count);
    checkStreamOptions(this.name, 'streamRead', options);
    const blockMs = checkBlockMs(this.name, options.blockMs);
    let after: [number, number];
    if (lastId === '$') after = [this.#lastMs, this.#lastSeq];
    else if (lastId === '0') after = [-1, -1];
    else after = parseStreamId(lastId);
    checkBlockMs(this.name, options.blockMs);
    const found = this.#after(stream, after, count);
    if (found.length > 0 || blockMs === 0 || options.signal?.aborted) return found;
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
        resolve(this.#closed.closed ? [] : this.#after(stream, after, count));
      };
      const onAbort = (): void => finish();
      const waiter: Waiter = { wake: finish };
      const timer = setTimeout(finish, blockMs);
      waiters.add(waiter);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async healthCheck(): Promise<boolean> {
    return !this.#closed.closed;
  }

  /** Ends blocking reads (they resolve `[]`) and drops every entry; idempotent. */
  close(): Promise<void> {
    return this.#closed.close(() => {
      for (const set of this.#waiters.values()) for (const w of [...set]) w.wake();
      this.#streams.clear();
    });
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
}

function toEntry(e: StoredEntry): StreamEntry {
  return { id: e.id, fields: e.fields.map(([f, v]) => [f, v]) };
}
