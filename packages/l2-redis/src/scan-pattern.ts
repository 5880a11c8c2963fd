import { RESERVED_KEY_PREFIX } from '@tiercache/core';
import type { Cluster, Redis } from 'ioredis';
import { newEpoch } from './guarded-writes.js';
/**
 * Escape every glob metacharacter Redis's MATCH understands (`* ? [ ] \`), so a prefix such
 * as `app[1]:` matches only itself.
 */
export function escapeRedisGlob(literal: string): string {
  return literal.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * Translate tiercache's glob (`*`, `?`, `\` escapes; nothing else is special) into a Redis
 * MATCH pattern under `prefix`. Redis also treats `[...]` as a character class, which the
 * contract does not, so brackets are escaped.
 */
export function toRedisMatch(prefix: string, pattern: string): string {
  let out = escapeRedisGlob(prefix);
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\' && i + 1 < pattern.length) {
      out += escapeRedisGlob(pattern[++i]!);
    } else if (ch === '[' || ch === ']' || ch === '\\') {
      out += `\\${ch}`;
    } else {
      out += ch;
    }
  }
  return out;
}

/** How {@link scanAndUnlink} runs: batch sizes, and the bound every command goes through. */
export interface ScanSettings {
  /** SCAN COUNT hint. */
  scanCount: number;
  /** Keys per UNLINK. */
  batchSize: number;
  /** On a Cluster a multi-key UNLINK across slots is refused: keys are unlinked one by one (pipelined). */
  cluster: boolean;
  /** Bounds each command (timeout, error mapping); a failed pipelined UNLINK rejects through it too. */
  bounded: <T>(work: Promise<T>) => Promise<T>;
  /**
   * When set, the length of the namespace prefix: keys whose first character after it is the
   * core's reserved prefix (NUL: a tag's invalidation time) are kept. Unset for `clear()`.
   */
  keepReservedAfter?: number;
}

/**
 * Remove every key of `node` matching `match` with SCAN MATCH + UNLINK in batches; resolves
 * how many were removed. Keys written while the scan runs may survive; keys present
 * throughout are removed.
 */
export async function scanAndUnlink(node: Redis, match: string, settings: ScanSettings): Promise<number> {
  let removed = 0;
  let cursor = '0';
  let batch: string[] = [];
  do {
    const [next, keys] = await settings.bounded(
      node.scan(cursor, 'MATCH', match, 'COUNT', settings.scanCount),
    );
    cursor = next;
    const at = settings.keepReservedAfter;
    if (at === undefined) batch.push(...keys);
    else for (const key of keys) if (!key.startsWith(RESERVED_KEY_PREFIX, at)) batch.push(key);
    while (batch.length >= settings.batchSize) {
      removed += await unlink(node, batch.slice(0, settings.batchSize), settings);
      batch = batch.slice(settings.batchSize);
    }
  } while (cursor !== '0');
  if (batch.length > 0) removed += await unlink(node, batch, settings);
  return removed;
}

async function unlink(node: Redis, keys: string[], settings: ScanSettings): Promise<number> {
  if (!settings.cluster) return settings.bounded(node.unlink(...keys));
  const pipeline = node.pipeline();
  for (const k of keys) pipeline.unlink(k);
  const results = (await settings.bounded(pipeline.exec())) ?? [];
  let removed = 0;
  for (const [error, count] of results) {
    if (error) await settings.bounded(Promise.reject(error));
    removed += Number(count);
  }
  return removed;
}

/**
 * Remove the keys matching `match` on every master (SCAN + UNLINK, see {@link scanAndUnlink}),
 * resolving how many were removed. On a standalone server a new epoch is written under
 * `epochKey` before and after: guarded writes with a token read before this are refused while
 * it runs and after (the scan may delete the epoch key itself).
 */
export async function removeMatching(
  client: Redis | Cluster,
  match: string,
  epochKey: string,
  settings: ScanSettings,
): Promise<number> {
  const nodes: Redis[] = client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
  if (!client.isCluster) await settings.bounded(client.set(epochKey, newEpoch()));
  let removed = 0;
  for (const node of nodes) removed += await scanAndUnlink(node, match, settings);
  if (!client.isCluster) await settings.bounded(client.set(epochKey, newEpoch()));
  return removed;
}
