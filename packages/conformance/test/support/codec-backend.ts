import { connect, type Socket } from 'node:net';
import { type L2CacheBackend, MemoryBackend, type ValueWithTtl } from '@tiercache/core';
import {
  ClosedGuard,
  jsonSerializer,
  type Serializer,
  ValueCodec,
  withTimeout,
} from '@tiercache/core/adapter';
import type { SilentServerAddress } from '../../src/index.js';

/** How a {@link CodecBackend} can be told to get things wrong, for the kit's own failing fixtures. */
export interface CodecFaults {
  /** Let whatever the serializer throws escape unwrapped (not `SerializationError`). */
  rawSerializerErrors?: boolean;
  /** Answer an undecodable stored value with a miss instead of `DeserializationError`. */
  unreadableIsMiss?: boolean;
  /** Declare `timeoutMs` but do not bound calls by it. */
  unbounded?: boolean;
}

/** Options for {@link CodecBackend}. */
export interface CodecBackendOptions {
  serializer?: Serializer;
  /** Send every call to this server first and wait for its reply (which a silent server never sends). */
  remote?: SilentServerAddress;
  timeoutMs?: number;
  faults?: CodecFaults;
}

/**
 * A backend the way a remote adapter is built with the adapter kit, minus the server: values
 * go through a `ValueCodec` into an in-memory map of bytes, calls are bounded by `timeoutMs`,
 * `ClosedGuard` answers calls after `close()`. With `remote`, each call first waits for a reply
 * line from a TCP server, so pointed at a silent server it times out like a real client.
 */
export class CodecBackend implements L2CacheBackend {
  readonly name = 'codec';
  readonly timeoutMs: number;
  readonly #store = new MemoryBackend<string | Uint8Array>({ name: 'codec-bytes' });
  readonly #codec: ValueCodec;
  readonly #closed = new ClosedGuard('CodecBackend');
  readonly #faults: CodecFaults;
  readonly #remote: SilentServerAddress | undefined;
  #socket: Socket | undefined;
  #waiting: (() => void)[] = [];

  constructor(options: CodecBackendOptions = {}) {
    this.#codec = new ValueCodec(options.serializer ?? jsonSerializer);
    this.timeoutMs = options.timeoutMs ?? 500;
    this.#faults = options.faults ?? {};
    this.#remote = options.remote;
  }

  /** Store bytes as they are (the `writeRaw` hook). */
  writeRaw(key: string, bytes: Uint8Array): Promise<void> {
    return this.#store.setWithTtl(key, bytes, 60_000);
  }

  get(key: string): Promise<unknown> {
    return this.getWithTtl(key).then((found) => found?.value);
  }

  getWithTtl(key: string): Promise<ValueWithTtl<unknown> | undefined> {
    return this.#call(async () => {
      const found = await this.#store.getWithTtl(key);
      if (found === undefined) return undefined;
      return { value: this.#decode(found.value), ttlMs: found.ttlMs };
    });
  }

  setWithTtl(key: string, value: unknown, ttlMs: number | undefined): Promise<void> {
    return this.#call(() => this.#store.setWithTtl(key, this.#encode(value), ttlMs));
  }

  remove(key: string): Promise<void> {
    return this.#call(() => this.#store.remove(key));
  }

  clear(): Promise<void> {
    return this.#call(() => this.#store.clear());
  }

  removePattern(pattern: string): Promise<number> {
    return this.#call(() => this.#store.removePattern(pattern));
  }

  getMany(keys: readonly string[]): Promise<unknown[]> {
    return Promise.all(keys.map((k) => this.get(k)));
  }

  setMany(entries: readonly { key: string; value: unknown; ttlMs: number | undefined }[]): Promise<void> {
    return this.#call(async () => {
      const encoded = entries.map((e) => ({ ...e, value: this.#encode(e.value) }));
      await this.#store.setMany(encoded);
    });
  }

  async healthCheck(): Promise<boolean> {
    if (this.#closed.closed) return false;
    try {
      await this.#call(async () => undefined);
      return true;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    return this.#closed.close(async () => {
      this.#socket?.destroy();
      await this.#store.close();
    });
  }

  #encode(value: unknown): string | Uint8Array {
    if (this.#faults.rawSerializerErrors) return this.#codec.serializer.serialize(value);
    return this.#codec.encode(value);
  }

  #decode(data: string | Uint8Array): unknown {
    if (!this.#faults.unreadableIsMiss) return this.#codec.decode(data);
    try {
      return this.#codec.decode(data);
    } catch {
      return undefined;
    }
  }

  async #call<T>(run: () => Promise<T>): Promise<T> {
    this.#closed.check();
    const work = (async () => {
      await this.#roundTrip();
      return run();
    })();
    return this.#faults.unbounded ? work : withTimeout(work, this.timeoutMs, `CodecBackend call`);
  }

  /** Wait for one reply line from the remote server, when there is one. */
  #roundTrip(): Promise<void> {
    const remote = this.#remote;
    if (!remote) return Promise.resolve();
    if (!this.#socket) {
      this.#socket = connect(remote.port, remote.host);
      this.#socket.on('error', () => undefined);
      this.#socket.on('data', () => this.#waiting.shift()?.());
    }
    this.#socket.write('PING\n');
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
}
