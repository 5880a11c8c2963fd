import { hasMethods, OptionReader, shown } from './adapter-kit/options.js';
import { checkBlockMs } from './adapter-kit/stream-args.js';
import type { BusTransport, BusTransportStatus, StreamFields, StreamingBackend } from './contracts.js';
import { InvalidOptionError } from './errors.js';
import { sleep } from './primitives/sleep.js';
import { compareStreamIds } from './stream-id.js';

/**
 * Empty reads in a row after which the reader checks that the stream's newest entry is not
 * behind its position (one `streamReadLatest(1)`; with the default `blockMs`, once per 10 s of
 * silence). A failed publish asks for the check at the next read.
 */
const POSITION_CHECK_READS = 5;

/** The methods a {@link StreamingBackend} must have. */
const STREAM_METHODS = ['streamAdd', 'streamReadLatest', 'streamRead'] as const;

/** `true` when `value` has the methods of a {@link StreamingBackend} (checked by capability). */
export function isStreamingBackend(value: unknown): value is StreamingBackend {
  return hasMethods(value, STREAM_METHODS);
}

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
  /**
   * Close the stream in `close()`. Default `false`: a stream you passed in is yours (you may
   * share it with the cache's `stream` option). Set it when the transport is its only user, as
   * in `new StreamBusTransport(new RedisStream({ url }), { closeStream: true })`, or the
   * stream's connections keep the process alive after `cache.close()`.
   */
  closeStream?: boolean;
}

/**
 * A bus transport over any {@link StreamingBackend} (Redis Streams, Kafka, in-memory). It
 * remembers the id of the last entry it delivered; when reads fail (the connection was cut,
 * the server restarted) it retries with backoff from that same id, so an instance that was cut
 * off receives everything published meanwhile instead of serving stale L1 entries. Messages
 * older than the stream's `maxLen` can be trimmed away; the bus notices the sequence gap and
 * clears local tiers.
 *
 * Entries are untrusted: anyone who can write to the stream or topic can add one. The read loop
 * never throws: an entry without a string `m` field is skipped (the bus counts what it rejects),
 * and a failure anywhere in the loop is reported as a disconnect and retried with backoff.
 *
 * The reader also never stays where no entry can follow it: after a few empty reads in a row
 * (or a failed publish) it asks for the stream's newest entry, and when that is behind its
 * position (the stream was deleted and recreated, or trimmed below it, or a forged entry with a
 * far-future id moved it there) it reports `resync` (the bus clears local tiers, as after a gap)
 * and reads on from the newest entry.
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
  readonly #closeStream: boolean;
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;
  #closed: Promise<void> | undefined;
  /** A publish failed: check the read position at the next read. */
  #checkPosition = false;

  constructor(stream: StreamingBackend, options: StreamBusTransportOptions = {}) {
    if (!isStreamingBackend(stream)) {
      throw new InvalidOptionError(
        `StreamBusTransport: stream must be a StreamingBackend (${STREAM_METHODS.join(', ')}), got ${shown(stream)}`,
      );
    }
    this.#stream = stream;
    this.name = `stream:${stream.name}`;
    const read = new OptionReader<StreamBusTransportOptions>('StreamBusTransport', options, [
      'blockMs',
      'batchSize',
      'maxLen',
      'retryMinMs',
      'retryMaxMs',
      'closeStream',
    ]);
    this.#blockMs = checkBlockMs('StreamBusTransport', read.raw.blockMs ?? 2000);
    this.#batch = read.integer('batchSize', 1, 200);
    this.#maxLen = read.integer('maxLen', 1, 10_000);
    this.#retryMin = read.integer('retryMinMs', 1, 100);
    this.#retryMax = read.integer('retryMaxMs', this.#retryMin, Math.max(5000, this.#retryMin));
    this.#closeStream = read.boolean('closeStream', false);
  }

  async publish(channel: string, message: string): Promise<void> {
    try {
      await this.#stream.streamAdd(channel, [['m', message]], { maxLen: this.#maxLen });
    } catch (error) {
      this.#checkPosition = true;
      throw error;
    }
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
    // #run never rejects; the catch is a last guard so a bug there cannot end the process.
    this.#loop = this.#run(channel, startId, onMessage, onStatus).catch(() => undefined);
  }

  /** Stop reading; with `closeStream`, close the stream too. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#abort.abort();
      await this.#loop;
      if (this.#closeStream) await this.#stream.close?.();
    })();
    return this.#closed;
  }

  async #run(
    channel: string,
    startId: string,
    onMessage: (message: string) => void,
    onStatusGiven?: (status: BusTransportStatus) => void,
  ): Promise<void> {
    const onStatus = (status: BusTransportStatus): void => {
      try {
        onStatusGiven?.(status);
      } catch {
        // see deliver()
      }
    };
    const signal = this.#abort.signal;
    let lastId = startId;
    let delay = this.#retryMin;
    let down = false;
    let replayed = 0;
    let emptyReads = 0;
    while (!signal.aborted) {
      let entries: Awaited<ReturnType<StreamingBackend['streamRead']>>;
      try {
        entries = await this.#stream.streamRead(channel, lastId, this.#batch, {
          blockMs: this.#blockMs,
          signal,
        });
        if (!Array.isArray(entries)) throw new TypeError(`${this.name}: streamRead resolved a non-array`);
      } catch (error) {
        if (signal.aborted) return;
        if (!down) onStatus({ kind: 'disconnected', error });
        down = true;
        replayed = 0;
        await sleep(delay, signal);
        delay = Math.min(delay * 2, this.#retryMax);
        continue;
      }
      if (down) {
        down = false;
        delay = this.#retryMin;
        onStatus({ kind: 'connected' });
        replayed = -1; // count what the first reads after reconnecting deliver
      }
      for (const entry of entries) {
        if (typeof entry?.id !== 'string') continue;
        lastId = entry.id;
        deliver(entry.fields, onMessage);
      }
      if (replayed === -1) {
        onStatus({ kind: 'replayed', count: entries.length });
        replayed = 0;
      }
      if (entries.length > 0) emptyReads = 0;
      else if (++emptyReads >= POSITION_CHECK_READS || this.#checkPosition) {
        emptyReads = 0;
        this.#checkPosition = false;
        lastId = await this.#follow(channel, lastId, onStatus);
      }
    }
  }

  /**
   * The position to read from: `lastId`, or the stream's newest entry when that is behind
   * `lastId` (then reported as `resync`). A failed check keeps `lastId`; the next read reports
   * a connection problem, and the check runs again later.
   */
  async #follow(
    channel: string,
    lastId: string,
    onStatus: (status: BusTransportStatus) => void,
  ): Promise<string> {
    let newest: unknown;
    try {
      const latest = await this.#stream.streamReadLatest(channel, 1);
      newest = Array.isArray(latest) ? latest[0]?.id : undefined;
      if (typeof newest !== 'string' || compareStreamIds(newest, lastId) >= 0) return lastId;
    } catch {
      return lastId;
    }
    onStatus({
      kind: 'resync',
      reason: `the newest entry of stream "${channel}" (${newest}) is behind this reader's position (${lastId}): the stream was deleted, recreated or trimmed, or an entry id was forged; reading on from the newest entry`,
    });
    return newest;
  }
}

/** Hand every `m` field of an entry to the bus; whatever the entry holds, nothing throws. */
function deliver(fields: StreamFields | undefined, onMessage: (message: string) => void): void {
  if (!Array.isArray(fields)) return;
  for (const pair of fields) {
    if (!Array.isArray(pair) || pair[0] !== 'm') continue;
    try {
      // The bus checks the message (a non-string is rejected and counted there).
      onMessage(pair[1]);
    } catch {
      // The bus never throws; a custom receiver that does must not end the read loop.
    }
  }
}
