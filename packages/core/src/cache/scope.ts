import { InvalidOptionError } from '../errors.js';
import { validateKey } from '../key.js';
import { checkTags } from './tags.js';

/**
 * Separates a namespace's name from the keys and tags inside it. A control character: cache
 * keys, tags and namespace names cannot hold one, so no key of one namespace (or of the cache
 * itself) can spell a key of another.
 */
export const SCOPE_SEPARATOR = '\u001f';
/** {@link SCOPE_SEPARATOR} as a char code: a namespace's stored keys start with it. */
export const SEPARATOR_CODE = 0x1f;
/** Deepest nesting of namespaces. */
export const MAX_NAMESPACE_DEPTH = 8;

/**
 * Where a call's keys and tags live: the cache itself (`ROOT_SCOPE`), or a namespace. Turns a
 * caller's key into the key stored in the tiers, and a caller's tags into stored tags; a
 * namespace adds its own tags (one per level) to every entry, which is how `clear()` of a
 * namespace works without listing keys.
 */
export class Scope {
  /** The tags every entry written in this scope carries (empty for the cache itself). */
  readonly tags: readonly string[];

  private constructor(
    /** Prepended to every key and tag (empty for the cache itself). */
    readonly prefix: string,
    parentTags: readonly string[],
  ) {
    this.tags = prefix === '' ? parentTags : [...parentTags, prefix];
  }

  /** The cache's own scope: keys and tags as given. */
  static readonly root = new Scope('', []);

  /** The scope of a namespace `name` inside this one. */
  child(name: unknown): Scope {
    if (this.tags.length >= MAX_NAMESPACE_DEPTH) {
      throw new InvalidOptionError(`namespace: nested ${MAX_NAMESPACE_DEPTH} deep at most`);
    }
    try {
      validateKey(name, 256);
    } catch (error) {
      throw new InvalidOptionError(
        `namespace: the name must be a non-empty string of at most 256 characters without control characters (${(error as Error).message})`,
      );
    }
    return new Scope(`${this.prefix || SCOPE_SEPARATOR}${name}${SCOPE_SEPARATOR}`, this.tags);
  }

  /** The stored key for a caller's `key`, which is checked first ({@link validateKey}). */
  key(key: unknown, maxLength: number): string {
    validateKey(key, maxLength);
    return this.prefix === '' ? key : this.prefix + key;
  }

  /** The stored tags of an entry written with the caller's `tags` (checked), the scope's own included. */
  entryTags(tags: unknown, method: string): readonly string[] {
    if (tags === undefined) return this.tags;
    const own = checkTags(tags, method);
    if (this.prefix === '') return own;
    return [...this.tags, ...own.map((tag) => this.prefix + tag)];
  }

  /** The stored-key glob for a caller's glob: the prefix, its glob characters escaped, then `pattern`. */
  pattern(pattern: string): string {
    return this.prefix === '' ? pattern : this.prefix.replace(/[\\*?[\]]/g, '\\$&') + pattern;
  }

  /** The stored tags for `invalidateTags(tags)` in this scope (checked). */
  invalidationTags(tags: unknown): string[] {
    const own = checkTags(tags, 'invalidateTags');
    return this.prefix === '' ? own : own.map((tag) => this.prefix + tag);
  }
}
