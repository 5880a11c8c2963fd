import { InvalidStreamIdError } from '@tiercache/core';

/**
 * Where an entry sits: its partition and offset, and the broker timestamp that orders entries
 * of different partitions. Offsets are JavaScript numbers: exact up to 2^53, which a partition
 * does not reach at any realistic rate.
 */
export interface EntryPosition {
  partition: number;
  offset: number;
  timestamp: number;
}

const OFFSET_WIDTH = 20;
const TIMESTAMP_WIDTH = 15;
const PARTITION_WIDTH = 5;
const MULTI = /^(\d{1,15})-(\d{1,5})-(\d{1,20})$/;
const SINGLE = /^\d{1,20}$/;

/**
 * The id of an entry. With one partition it is the offset, zero-padded to 20 digits, so plain
 * string order is publish order. With several it is `timestamp-partition-offset`, each part
 * zero-padded, so string order is (broker timestamp, partition, offset) order.
 */
export function formatEntryId(position: EntryPosition, partitionCount: number): string {
  const offset = String(position.offset).padStart(OFFSET_WIDTH, '0');
  if (partitionCount === 1) return offset;
  return `${String(position.timestamp).padStart(TIMESTAMP_WIDTH, '0')}-${String(position.partition).padStart(PARTITION_WIDTH, '0')}-${offset}`;
}

/** Parse an id made by {@link formatEntryId} for a topic of `partitionCount` partitions. */
export function parseEntryId(id: string, partitionCount: number): EntryPosition {
  if (typeof id === 'string' && SINGLE.test(id) && partitionCount === 1) {
    return { partition: 0, offset: Number(id), timestamp: 0 };
  }
  const match = typeof id === 'string' ? MULTI.exec(id) : null;
  if (match) {
    const position = { timestamp: Number(match[1]), partition: Number(match[2]), offset: Number(match[3]) };
    if (position.partition < partitionCount) return position;
    throw new InvalidStreamIdError(
      `stream id "${id}" names partition ${position.partition}, but the topic has ${partitionCount} partition(s)`,
    );
  }
  const expected =
    partitionCount === 1
      ? 'a zero-padded offset like "00000000000000000042"'
      : '"<timestamp>-<partition>-<offset>" (this topic has several partitions)';
  throw new InvalidStreamIdError(`stream id "${String(id)}" is not "0", "$" or ${expected}`);
}

/** Order of entries across partitions: timestamp, then partition, then offset. */
export function comparePositions(a: EntryPosition, b: EntryPosition): number {
  return a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset;
}
