import type { BusTransport, BusTransportStatus, StreamingBackend } from './contracts.js';
import { sleep } from './primitives/sleep.js';

/** Options for {@link StreamBusTransport}. */
export interface StreamBusTransportOptions {
  /** Longest wait of one blocking read, ms. Default 2000. Shorter means a faster `close`. */
  blockMs?: number;
  /** Entries read per call. Default 200. */
  batchSize?: number;
  /** Keep about this many messages in the stream (`maxLen` of each add). Default 10 000. */
  maxLen?: number;
  /** First and longest delay between reads after a failure, ms. Defaults 100 and 5000. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

/**
 * A bus transport over any {@link StreamingBackend} (Redis Streams, Kafka, in-memory). It
 * remembers the id of the last entry it delivered; when reads fail (the connection was cut,
 * the server restarted) it retries with backoff from that same id, so an instance that was cut
 * off receives everything published meanwhile instead of serving stale L1 entries. Messages
 * older than the stream's `maxLen` can be trimmed away; the bus notices the sequence gap and
 * clears local tiers.
 */
export class StreamBusTransport implements BusTransport {
  readonly name: string;
  readonly replays = true;
  readonly #stream: StreamingBackend;
  readonly #blockMs: number;
  readonly #batch: number;
  readonly #maxLen: number;
  readonly #retryMin: number;
  readonly #retryMax: number;
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(stream: StreamingBackend, options: StreamBusTransportOptions = {}) {
    this.#stream = stream;
    this.name = `stream:${stream.name}`;
    this.#blockMs = options.blockMs ?? 2000;
    this.#batch = options.batchSize ?? 200;
    this.#maxLen = options.maxLen ?? 10_000;
    this.#retryMin = options.retryMinMs ?? 100;
    this.#retryMax = options.retryMaxMs ?? 5000;
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.#stream.streamAdd(channel, [['m', message]], { maxLen: this.#maxLen });
  }

  async subscribe(
    channel: string,
    onMessage: (message: string) => void,
    onStatus?: (status: BusTransportStatus) => void,
  ): Promise<void> {
    // Start after the newest existing entry: history from before this instance existed is not ours to apply.
    const latest = await this.#stream.streamReadLatest(channel, 1);
    const startId = latest[0]?.id ?? '0';
    onStatus?.({ kind: 'connected' });
    this.#loop = this.#run(channel, startId, onMessage, onStatus);
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }

  async #run(
    channel: string,
    startId: string,
    onMessage: (message: string) => void,
    onStatus?: (status: BusTransportStatus) => void,
  ): Promise<void> {
    const signal = this.#abort.signal;
    let lastId = startId;
    let delay = this.#retryMin;
    let down = false;
    let replayed = 0;
    while (!signal.aborted) {
      let entries: Awaited<ReturnType<StreamingBackend['streamRead']>>;
      try {
        entries = await this.#stream.streamRead(channel, lastId, this.#batch, {
          blockMs: this.#blockMs,
          signal,
        });
      } catch (error) {
        if (signal.aborted) return;
        if (!down) onStatus?.({ kind: 'disconnected', error });
        down = true;
        replayed = 0;
        await sleep(delay, signal);
        delay = Math.min(delay * 2, this.#retryMax);
        continue;
      }
      if (down) {
        down = false;
        delay = this.#retryMin;
        onStatus?.({ kind: 'connected' });
        replayed = -1; // count what the first reads after reconnecting deliver
      }
      for (const entry of entries) {
        lastId = entry.id;
        for (const [field, value] of entry.fields) if (field === 'm') onMessage(value);
      }
      if (replayed === -1) {
        onStatus?.({ kind: 'replayed', count: entries.length });
        replayed = 0;
      }
    }
  }
}
