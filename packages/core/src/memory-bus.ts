import type { BusTransport, BusTransportStatus } from './contracts.js';
import { ClosedError } from './errors.js';

type Subscriber = { channel: string; onMessage: (message: string) => void };

/**
 * An in-process message hub for several `TieredCache` instances in one process (tests, the
 * demo, workers sharing a process). `hub.transport()` gives each instance its own transport;
 * delivery is asynchronous and in order, like a real broker.
 */
export class MemoryBusHub {
  readonly #subscribers = new Set<Subscriber>();

  /** A transport attached to this hub. */
  transport(): BusTransport {
    const hub = this;
    const mine = new Set<Subscriber>();
    let closed = false;
    return {
      name: 'memory-bus',
      replays: false,
      async publish(channel: string, message: string): Promise<void> {
        if (closed) throw new ClosedError('memory bus transport');
        hub.#deliver(channel, message);
      },
      async subscribe(
        channel: string,
        onMessage: (message: string) => void,
        onStatus?: (status: BusTransportStatus) => void,
      ): Promise<void> {
        const sub = { channel, onMessage };
        mine.add(sub);
        hub.#subscribers.add(sub);
        onStatus?.({ kind: 'connected' });
      },
      async close(): Promise<void> {
        closed = true;
        for (const sub of mine) hub.#subscribers.delete(sub);
        mine.clear();
      },
    };
  }

  #deliver(channel: string, message: string): void {
    for (const sub of this.#subscribers) {
      if (sub.channel !== channel) continue;
      queueMicrotask(() => {
        try {
          sub.onMessage(message);
        } catch {
          // A throwing receiver must not become an uncaught exception in someone else's publish.
        }
      });
    }
  }
}
