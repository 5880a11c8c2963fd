import { describe, expect, it } from 'vitest';
import {
  type BusTransport,
  MemoryBackend,
  MemoryBusHub,
  MemoryStream,
  StreamBusTransport,
  type StreamingBackend,
  TieredCache,
} from '../src/index.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean | Promise<boolean>, boundMs = 5000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > boundMs) throw new Error(`condition not met within ${boundMs} ms`);
    await wait(10);
  }
}

/** Two caches with their own L1 over one shared L2, joined by `transport()`. */
async function pair(transport: () => BusTransport) {
  const shared = new MemoryBackend({ name: 'shared' });
  Object.defineProperty(shared, 'local', { value: false });
  const make = (name: string) =>
    new TieredCache({
      name,
      tiers: [new MemoryBackend({ name: `${name}-l1` }), shared],
      bus: { transport: transport() },
    });
  const a = make('a');
  const b = make('b');
  await Promise.all([a.ready(), b.ready()]);
  return { a, b, shared };
}

describe.each([
  [
    'memory hub',
    () => {
      const hub = new MemoryBusHub();
      return () => hub.transport();
    },
  ],
  [
    'stream transport over MemoryStream',
    () => {
      const stream = new MemoryStream();
      return () => new StreamBusTransport(stream, { blockMs: 200 });
    },
  ],
])('invalidation over the %s', (_name, setup) => {
  it('invalidate on A makes B stop returning the old value', async () => {
    const { a, b } = await pair(setup());
    await a.set('k', 'old');
    expect(await b.get('k')).toBe('old'); // now in B's L1
    await a.invalidate('k');
    await until(async () => (await b.get('k')) === undefined);
    expect(b.stats().bus.applied).toBeGreaterThan(0);
    await Promise.all([a.close(), b.close()]);
  });

  it('invalidatePattern, clear and a broadcast set reach B', async () => {
    const { a, b } = await pair(setup());
    await a.set('user:1', 'u1', { broadcast: false });
    await a.set('user:2', 'u2', { broadcast: false });
    await a.set('keep', 'k', { broadcast: false });
    for (const k of ['user:1', 'user:2', 'keep']) await b.get(k);
    await a.invalidatePattern('user:*');
    await until(async () => (await b.get('user:1')) === undefined && (await b.get('user:2')) === undefined);
    expect(await b.get('keep')).toBe('k');

    await a.set('keep', 'new value'); // broadcast by default with a bus
    await until(async () => (await b.get('keep')) === 'new value');

    await a.clear();
    await until(async () => (await b.get('keep')) === undefined);
    await Promise.all([a.close(), b.close()]);
  });

  it('an instance ignores its own messages', async () => {
    const { a, b } = await pair(setup());
    await a.set('mine', 1);
    await until(() => b.stats().bus.received >= 1);
    await wait(50);
    expect(a.stats().bus.received).toBe(0);
    expect(a.stats().bus.sent).toBe(1);
    await Promise.all([a.close(), b.close()]);
  });
});

/**
 * Fault injection: a StreamingBackend whose reads fail while `cut` is set, as when the
 * connection to the server is lost (the Redis and Kafka suites do this with real servers).
 */
function cuttable(inner: StreamingBackend) {
  const state = { cut: false };
  const backend: StreamingBackend = {
    name: 'cuttable',
    streamAdd: (s, f, o) => inner.streamAdd(s, f, o),
    streamReadLatest: (s, c) => inner.streamReadLatest(s, c),
    streamRead: async (s, id, c, o) => {
      if (state.cut) {
        await wait(5);
        throw new Error('connection reset');
      }
      return inner.streamRead(s, id, c, { ...o, blockMs: Math.min(o?.blockMs ?? 0, 50) });
    },
  };
  return { backend, state };
}

describe("a stream reader's position", () => {
  it('is checked against the newest entry once per 5 empty reads, not per read, and is left alone when the stream is sound', async () => {
    const stream = new MemoryStream();
    const calls = { read: 0, latest: 0 };
    const counted: StreamingBackend = {
      name: 'counted',
      streamAdd: (s, f, o) => stream.streamAdd(s, f, o),
      streamReadLatest: (s, c) => {
        calls.latest++;
        return stream.streamReadLatest(s, c);
      },
      streamRead: (s, id, c, o) => {
        calls.read++;
        return stream.streamRead(s, id, c, o);
      },
    };
    const cache = new TieredCache({
      tiers: [new MemoryBackend()],
      bus: { transport: new StreamBusTransport(counted, { blockMs: 5 }) },
    });
    await cache.ready();
    await cache.invalidate('k'); // one entry, so the reader has a position to check
    await until(() => calls.read >= 60);
    await cache.close();
    // One streamReadLatest at subscribe, then one per 5 empty reads.
    expect(calls.latest).toBeGreaterThan(1);
    expect(calls.latest).toBeLessThanOrEqual(1 + Math.ceil(calls.read / 5));
    expect(cache.stats().bus.resyncs).toBe(0);
  });
});

describe('the size of what the bus sends', () => {
  it('stays within maxMessageBytes for batches of tags and keys, and a key too long for it goes out as a clear', async () => {
    const hub = new MemoryBusHub();
    const sizes: number[] = [];
    await hub.transport().subscribe('tiercache-bus', (m) => sizes.push(Buffer.byteLength(m)));
    const make = () =>
      new TieredCache({
        tiers: [new MemoryBackend()],
        maxKeyLength: 20_000,
        bus: {
          transport: hub.transport(),
          maxMessageBytes: 16 * 1024,
          secret: 'a secret of at least 16 bytes',
        },
      });
    const a = make();
    const b = make();
    await Promise.all([a.ready(), b.ready()]);
    const tagCalls = Array.from({ length: 80 }, (_, j) =>
      a.invalidateTags(Array.from({ length: 64 }, (_, i) => `t${j}-${i}`)),
    );
    await Promise.all(tagCalls);
    await Promise.all(Array.from({ length: 5000 }, (_, i) => a.invalidate(`k${i}`)));
    await b.set('long', 'old', { broadcast: false });
    await a.invalidate('x'.repeat(17_000));
    await until(
      () => b.stats().bus.received >= 3 && b.stats().bus.queued === 0 && a.stats().bus.queued === 0,
    );
    await until(async () => (await b.get('long')) === undefined); // the clear arrived
    expect(Math.max(...sizes)).toBeLessThanOrEqual(16 * 1024);
    expect(b.stats().bus.rejected).toBe(0);
    expect(b.stats().bus.resyncs).toBe(0);
    await Promise.all([a.close(), b.close()]);
  });
});

describe('replay after a cut bus connection', () => {
  it('B catches up on 100 invalidations published while it was cut off', async () => {
    const stream = new MemoryStream();
    const shared = new MemoryBackend({ name: 'shared' });
    Object.defineProperty(shared, 'local', { value: false });
    const cut = cuttable(stream);
    const a = new TieredCache({
      tiers: [new MemoryBackend(), shared],
      bus: { transport: new StreamBusTransport(stream) },
    });
    const b = new TieredCache({
      tiers: [new MemoryBackend(), shared],
      bus: { transport: new StreamBusTransport(cut.backend, { blockMs: 50, retryMinMs: 20 }) },
    });
    await Promise.all([a.ready(), b.ready()]);
    for (let i = 0; i < 100; i++) await a.set(`k${i}`, `old${i}`, { broadcast: false });
    for (let i = 0; i < 100; i++) expect(await b.get(`k${i}`)).toBe(`old${i}`);

    cut.state.cut = true;
    await wait(100);
    // A invalidates in L1+L2 but B's L1 still has the old values and B cannot hear about it.
    for (let i = 0; i < 100; i++) await a.invalidate(`k${i}`);
    expect(await b.get('k0')).toBe('old0');
    cut.state.cut = false;

    await until(async () => (await b.get('k99')) === undefined);
    for (let i = 0; i < 100; i++) expect(await b.get(`k${i}`)).toBeUndefined();
    expect(b.stats().bus.resyncs).toBe(0); // caught up by replay, not by dropping everything
    expect(b.stats().bus.applied).toBe(100);
    await Promise.all([a.close(), b.close()]);
  });

  it('a transport that cannot replay clears local tiers after reconnecting', async () => {
    let status: ((s: { kind: 'connected' } | { kind: 'disconnected' }) => void) | undefined;
    const transport: BusTransport = {
      name: 'fake-pubsub',
      replays: false,
      publish: async () => undefined,
      subscribe: async (_c, _m, onStatus) => {
        status = onStatus;
        onStatus?.({ kind: 'connected' });
      },
      close: async () => undefined,
    };
    const l1 = new MemoryBackend();
    const cache = new TieredCache({ tiers: [l1, new MemoryBackend()], bus: { transport } });
    await cache.ready();
    await cache.set('k', 1);
    status?.({ kind: 'disconnected' });
    status?.({ kind: 'connected' });
    await until(() => l1.size === 0);
    expect(cache.stats().bus.resyncs).toBe(1);
    await cache.close();
  });

  it('a gap in a sender sequence clears local tiers', async () => {
    const hub = new MemoryBusHub();
    const senderTransport = hub.transport();
    const l1 = new MemoryBackend();
    const b = new TieredCache({ tiers: [l1], bus: { transport: hub.transport() } });
    await b.ready();
    await b.set('k', 1, { broadcast: false });
    await senderTransport.publish(
      'tiercache-bus',
      JSON.stringify({ v: 2, src: 'x', seq: 1, keys: ['none'] }),
    );
    await senderTransport.publish(
      'tiercache-bus',
      JSON.stringify({ v: 2, src: 'x', seq: 5, keys: ['none'] }),
    );
    await until(() => l1.size === 0);
    expect(b.stats().bus.resyncs).toBe(1);
    await b.close();
  });

  it('messages that fail to send are queued and sent in order later', async () => {
    const hub = new MemoryBusHub();
    const real = hub.transport();
    let failing = true;
    const flaky: BusTransport = {
      name: 'flaky',
      publish: (c, m) => (failing ? Promise.reject(new Error('down')) : real.publish(c, m)),
      subscribe: (c, m, s) => real.subscribe(c, m, s),
      close: () => real.close(),
    };
    const a = new TieredCache({
      tiers: [new MemoryBackend(), new MemoryBackend()],
      bus: { transport: flaky, retryMs: 20 },
    });
    const bL1 = new MemoryBackend();
    const b = new TieredCache({ tiers: [bL1], bus: { transport: hub.transport() } });
    await Promise.all([a.ready(), b.ready()]);
    await b.set('x', 1, { broadcast: false });
    await b.set('y', 1, { broadcast: false });
    await a.delete('x');
    await a.delete('y');
    expect(a.stats().bus.queued).toBe(2);
    failing = false;
    await until(() => bL1.size === 0);
    expect(b.stats().bus.resyncs).toBe(0);
    expect(a.stats().bus.sent).toBe(2);
    await Promise.all([a.close(), b.close()]);
  });
});
