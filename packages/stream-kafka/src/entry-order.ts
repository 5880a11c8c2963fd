import { comparePositions, type EntryPosition } from './entry-id.js';
import type { FetchedEntry, FetchedPartition, PartitionStart } from './partition-fetch.js';

/**
 * The first `count` fetched entries in stream order that are safe to hand out.
 *
 * With one partition that is offset order. With several it is (timestamp, partition, offset)
 * order, but only up to the earliest point where some partition's fetch stopped short of its
 * end (a byte limit): an unfetched record there may sort before a record already fetched from
 * another partition, and a reader resuming after the later one would skip it for good.
 */
export function takeInOrder(parts: readonly FetchedPartition[], count: number): FetchedEntry[] {
  if (parts.length === 1) return parts[0]?.entries.slice(0, count) ?? [];
  let frontier: EntryPosition | undefined;
  let blocked = false;
  for (const p of parts) {
    if (p.scannedTo >= p.highWatermark) continue;
    if (!p.lastScanned) blocked = true;
    else if (!frontier || comparePositions(p.lastScanned, frontier) < 0) frontier = p.lastScanned;
  }
  if (blocked) return [];
  const all = parts.flatMap((p) => p.entries);
  const safe = frontier ? all.filter((e) => comparePositions(e.position, frontier) <= 0) : all;
  return safe.sort((a, b) => comparePositions(a.position, b.position)).slice(0, count);
}

/** `true` when every partition was read to its end (nothing more to fetch right now). */
export function reachedEnd(parts: readonly FetchedPartition[]): boolean {
  return parts.every((p) => p.scannedTo >= p.highWatermark);
}

/**
 * Starts for the next fetch of the same read: moved to the first kept entry, or past
 * everything looked at when nothing was kept (records skipped by `after` never come back).
 */
export function advance(
  starts: readonly PartitionStart[],
  parts: readonly FetchedPartition[],
): PartitionStart[] {
  const next = new Map(parts.map((p) => [p.partition, p.entries[0]?.position.offset ?? p.scannedTo]));
  return starts.map((s) => ({ ...s, offset: Math.max(s.offset, next.get(s.partition) ?? s.offset) }));
}
