/** One recorded operation of the history checker's workers. */
export interface Operation {
  instance: number;
  op: 'get' | 'getOrSet' | 'set' | 'invalidate' | 'invalidatePattern' | 'error';
  key: string;
  /** For reads: the value returned (a version), `null` for a miss. */
  read?: string | null;
  /** For writes: the database version this operation produced. */
  wrote?: string;
  start: number;
  end: number;
}

/** A read that returned a value superseded by a write that had completed before it started. */
export interface Violation {
  read: Operation;
  /** The operation that wrote the value the read returned (absent: the initial "0"). */
  source: Operation | undefined;
  /** The later write that had completed before the read began. */
  superseding: Operation;
}

/**
 * Check a history: no read returns a value that was superseded by a write (set, invalidate,
 * delete, pattern) that started after the value's own write ended and completed before the
 * read started. Writes that overlap are unordered, so either of their values is allowed. In
 * the reading instance the rule is strict; for a write made by another instance the read must
 * have started at least `busBoundMs` after the write ended (the bus's delivery bound).
 */
export function checkHistory(
  history: readonly Operation[],
  busBoundMs: number,
  /**
   * Writes of two different instances closer than this are unordered. Tag invalidations are
   * decided by comparing wall-clock times of different processes, read at whole milliseconds
   * (docs/consistency.md, "Clock assumption"), so a write another process ended less than one
   * clock resolution before an `invalidateTags` may survive it. 0 for key-based runs.
   */
  crossClockToleranceMs = 0,
): { reads: number; violations: Violation[]; maxCrossStalenessMs: number } {
  const byKey = new Map<
    string,
    { writes: Operation[]; reads: Operation[]; byVersion: Map<string, Operation> }
  >();
  for (const op of history) {
    let slot = byKey.get(op.key);
    if (!slot) {
      slot = { writes: [], reads: [], byVersion: new Map() };
      byKey.set(op.key, slot);
    }
    if (op.wrote !== undefined) {
      slot.writes.push(op);
      slot.byVersion.set(op.wrote, op);
    } else if (op.read !== undefined && op.read !== null) slot.reads.push(op);
  }
  const violations: Violation[] = [];
  let reads = 0;
  /** The longest time a read in one instance still saw a value another instance had superseded. */
  let maxCrossStalenessMs = 0;
  for (const { writes, reads: keyReads, byVersion } of byKey.values()) {
    for (const read of keyReads) {
      reads++;
      const source = byVersion.get(read.read!);
      const sourceEnd = source?.end ?? -Infinity;
      for (const write of writes) {
        if (write === source || write.start <= sourceEnd) continue;
        if (source && source.instance !== write.instance && write.start <= sourceEnd + crossClockToleranceMs)
          continue;
        const cross = write.instance !== read.instance;
        if (cross && write.end < read.start)
          maxCrossStalenessMs = Math.max(maxCrossStalenessMs, read.start - write.end);
        if (write.end + (cross ? busBoundMs : 0) < read.start) {
          violations.push({ read, source, superseding: write });
          break;
        }
      }
    }
  }
  return { reads, violations, maxCrossStalenessMs };
}
