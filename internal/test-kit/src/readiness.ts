import type { ServerKind } from './servers.js';

/**
 * Asks the server at `url` one question with the client the suites use — PING for Redis,
 * `stats` for Memcached, listing topics for Kafka — and resolves `undefined` when it answered,
 * else why not. A SIGSTOPped server accepts the TCP connection (the kernel does that) but
 * answers nothing, so it is not ready; every attempt is bounded by `timeoutMs`.
 */
export async function whyNotReady(
  kind: ServerKind,
  url: string,
  timeoutMs = 2_000,
): Promise<string | undefined> {
  try {
    await bounded(ASK[kind](url, timeoutMs), timeoutMs + 500, `no answer within ${timeoutMs} ms`);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

const ASK: Record<ServerKind, (url: string, timeoutMs: number) => Promise<void>> = {
  // Each client is loaded when first asked, so a suite that imports the kit loads only its own.
  async redis(url, timeoutMs) {
    const { Redis } = await import('ioredis');
    const client = new Redis(url, {
      lazyConnect: true,
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const reply = await client.ping();
      if (reply !== 'PONG') throw new Error(`PING answered ${reply}`);
    } finally {
      client.disconnect();
    }
  },

  async memcached(url, timeoutMs) {
    const { Client: Memcached } = await import('memjs');
    const seconds = timeoutMs / 1000;
    const client = Memcached.create(url, {
      retries: 0,
      timeout: seconds,
      conntimeout: seconds,
      logger: quiet,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        client.stats((error, _server, stats) => {
          if (error) reject(error);
          else if (!stats?.version) reject(new Error('stats gave no version'));
          else resolve();
        });
      });
    } finally {
      client.close();
    }
  },

  async kafka(url, timeoutMs) {
    await withKafkaAdmin(url, timeoutMs, (admin) => admin.listTopics());
  },
};

const quiet = { log: () => undefined };

/**
 * Runs `use` with a quiet kafkajs admin client connected to `brokers` (comma-separated), every
 * request bounded by `timeoutMs` and never retried, and disconnects it.
 */
export async function withKafkaAdmin<T>(
  brokers: string,
  timeoutMs: number,
  use: (admin: import('kafkajs').Admin) => Promise<T>,
): Promise<T> {
  const { Kafka, logLevel } = await import('kafkajs');
  const kafka = new Kafka({
    clientId: 'tiercache-test-kit',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 1_000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    return await use(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function bounded<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Resolves once the server at `url` answers (see {@link whyNotReady}); throws after `timeoutMs`
 * with the last reason, or as soon as `gone()` returns a reason (the process exited).
 */
export async function waitUntilReady(
  kind: ServerKind,
  url: string,
  options: { timeoutMs: number; intervalMs: number; gone?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const gone = options.gone?.();
    if (gone !== undefined) throw new Error(`${kind}: ${gone}`);
    const why = await whyNotReady(kind, url);
    if (why === undefined) return;
    if (Date.now() >= deadline)
      throw new Error(`${kind}: no answer at ${url} within ${options.timeoutMs} ms (last: ${why})`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
}
