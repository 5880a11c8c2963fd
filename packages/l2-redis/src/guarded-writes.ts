import { createHash, randomBytes } from 'node:crypto';

/**
 * Guarded writes on Redis (`getWithToken` / `setIfUnchanged`): what a read saw is named by a
 * token, `<epoch>:<sha1 of the stored bytes>` (empty after the colon when the key is absent),
 * and a later write goes through only while the key still matches it (`SET_IF_UNCHANGED`).
 *
 * - `remove` leaves a **deletion mark** (a short value that reads as a miss) for
 *   `deletionMarkMs`, so a key deleted after the read differs from one never written.
 * - `removePattern` and `clear` change the namespace's **epoch** key, which every token
 *   includes, so they invalidate every token read before them (on a Cluster the epoch is not
 *   used: a pattern delete there does not stop a guarded write).
 */

/** What a deletion mark looks like: a prefix no serializer output or envelope starts with. */
const MARK_PREFIX = '\u0003tc-del:';
const MARK_PREFIX_BYTES = Buffer.from(MARK_PREFIX, 'latin1');

/** A fresh deletion mark (unique, so two deletes in a row are two different states). */
export function deletionMark(): string {
  return MARK_PREFIX + randomBytes(8).toString('hex');
}

/** `true` when a stored value is a deletion mark. */
export function isDeletionMark(raw: string | Buffer): boolean {
  if (typeof raw === 'string') return raw.charCodeAt(0) === 3 && raw.startsWith(MARK_PREFIX);
  return raw[0] === 3 && raw.subarray(0, MARK_PREFIX_BYTES.length).equals(MARK_PREFIX_BYTES);
}

/** The token of what a key holds: `raw` as Redis stores it (its UTF-8 bytes for a string reply). */
export function tokenOf(epoch: string | Buffer | null, raw: string | Buffer | null): string {
  const prefix = `${epoch === null ? '' : epoch.toString()}:`;
  return raw === null ? prefix : prefix + createHash('sha1').update(raw).digest('hex');
}

/** A new epoch value for the namespace (random: deleting the key and setting it again never repeats one). */
export function newEpoch(): string {
  return randomBytes(8).toString('hex');
}
