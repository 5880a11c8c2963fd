import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { MemcachedBackend } from '@tiercache/l2-memcached';
import { requireGroup } from '@tiercache/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { FiguresRecorder } from '../faults/figures.js';
import { loadFigures, runLoad } from './load.js';
import { SCALE_FIGURES_FILE } from './scale-figures.js';

const group = await requireGroup('memcached-pool');

const TIMEOUT_MS = 300;
const KEYS = 600;

/** The keys a memcached server holds (`lru_crawler metadump all`), URL-decoded. */
function keysOn(address: string): Promise<string[]> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), host!);
    let text = '';
    socket.setTimeout(5000, () => socket.destroy(new Error(`metadump on ${address} timed out`)));
    socket.on('error', reject);
    socket.on('connect', () => socket.write('lru_crawler metadump all\r\n'));
    socket.on('data', (data) => {
      text += data.toString();
      if (text.endsWith('END\r\n')) {
        socket.end();
        resolve([...text.matchAll(/key=(\S+)/g)].map((m) => decodeURIComponent(m[1]!)));
      }
    });
  });
}

describe.skipIf(!group)('one server of a 3-server Memcached pool stops under load', () => {
  const figures = new FiguresRecorder(SCALE_FIGURES_FILE);
  afterAll(async () => {
    figures.flush();
    for (const node of group?.nodes ?? []) if (!(await node.running())) await node.start();
  });

  it("keys on the other servers keep hitting, the stopped server's keys miss, nothing hangs", async () => {
    await group!.start();
    const namespace = `scale-${randomUUID().slice(0, 8)}`;
    const backend = new MemcachedBackend<string>({
      servers: [...group!.urls],
      namespace,
      timeoutMs: TIMEOUT_MS,
      retries: 0,
    });
    try {
      for (let i = 0; i < KEYS; i++) await backend.setWithTtl(`k${i}`, `v${i}`, 600_000);
      // Where each key lives, and the server that holds the namespace's version counter: the
      // worst one to lose, since every key's name carries that version.
      const owner = new Map<string, number>();
      let counterServer = -1;
      for (const [server, address] of group!.urls.entries()) {
        for (const key of await keysOn(address)) {
          if (!key.startsWith(`${namespace}:`)) continue;
          if (key === `${namespace}:__version`) counterServer = server;
          else owner.set(key.slice(key.lastIndexOf(':') + 1), server);
        }
      }
      expect(owner.size).toBe(KEYS);
      expect(counterServer).toBeGreaterThanOrEqual(0);
      const stopped = group!.nodes[counterServer]!;
      await stopped.stop();

      const counts = { liveHits: 0, liveMisses: 0, liveErrors: 0, deadHits: 0, deadMisses: 0, deadErrors: 0 };
      const result = await runLoad({
        concurrency: 50,
        // Longer than versionCacheMs (1 s): the cached version ages out while the counter's server is down.
        durationMs: 4000,
        boundMs: TIMEOUT_MS + 1000,
        pauseMs: 2,
        call: async (worker, n) => {
          const i = (worker * 97 + n * 13) % KEYS;
          const live = owner.get(`k${i}`) !== counterServer;
          try {
            const value = await backend.get(`k${i}`);
            if (value === undefined) counts[live ? 'liveMisses' : 'deadMisses']++;
            else if (value === `v${i}`) counts[live ? 'liveHits' : 'deadHits']++;
          } catch (error) {
            counts[live ? 'liveErrors' : 'deadErrors']++;
            throw error;
          }
        },
      });
      await stopped.start();

      const liveCalls = counts.liveHits + counts.liveMisses + counts.liveErrors;
      const liveHitRate = counts.liveHits / liveCalls;
      figures.record(
        'memcached-pool: the version counter server stopped (50 in flight)',
        loadFigures(result, TIMEOUT_MS, {
          liveKeysHitRate: liveHitRate,
          ...counts,
        }),
      );
      console.log(
        `memcached pool, 1 of 3 stopped: ${result.calls} reads; keys on the live servers hit ${(liveHitRate * 100).toFixed(1)}% (${counts.liveErrors} errors); keys on the stopped one: ${counts.deadErrors} errors, ${counts.deadMisses} misses, ${counts.deadHits} hits; slowest ${Math.round(result.slowestMs)} ms, ${result.overBound} over ${TIMEOUT_MS + 1000} ms`,
      );
      expect(result.overBound, 'calls over their timeout + slack').toBe(0);
      expect(liveHitRate).toBe(1);
      expect(counts.deadHits).toBe(0);
    } finally {
      await backend.close();
    }
  }, 60_000);
});
