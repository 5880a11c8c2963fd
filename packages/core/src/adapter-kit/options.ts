import { InvalidOptionError } from '../errors.js';
import { type Duration, parseDuration } from '../ttl.js';

/**
 * The one option kit every public constructor of tiercache uses (the cache, every backend,
 * stream, transport and bridge), so that every package answers a wrong option the same way:
 *
 *   `<Component>: <option> must be <what>, got <value>` and
 *   `<Component>: unknown option "<key>"; did you mean "<known>"?` (or the list of known options).
 *
 * Options are checked once, at construction; nothing here runs on a hot path.
 */
export class OptionReader<T extends object> {
  readonly #component: string;
  readonly #options: Partial<T>;

  /**
   * @param component the constructor's name as a user writes it (`"RedisBackend"`).
   * @param options what the caller passed (`undefined` reads as `{}`).
   * @param known every option key the component takes (a `satisfies readonly (keyof T)[]` list).
   * @param aliases old or foreign names and the key to use instead, for the did-you-mean
   *   (`{ ttl: 'defaultTtlMs' }`); an alias is still an unknown key.
   */
  constructor(
    component: string,
    options: unknown,
    known: readonly (keyof T & string)[],
    aliases: Readonly<Record<string, keyof T & string>> = {},
  ) {
    this.#component = component;
    if (options === undefined) options = {};
    if (!isPlainObject(options)) {
      throw new InvalidOptionError(
        `${component}: options must be a plain object such as { ${known.slice(0, 2).join(', ')} }, got ${shown(options)}`,
      );
    }
    rejectUnknownKeys(component, options, known, aliases);
    this.#options = options as Partial<T>;
  }

  /** The raw options, for values this kit has no reader for. */
  get raw(): Partial<T> {
    return this.#options;
  }

  /** A failure message in the kit's one format. */
  error(key: string, expected: string, value: unknown): InvalidOptionError {
    return new InvalidOptionError(`${this.#component}: ${key} must be ${expected}, got ${shown(value)}`);
  }

  string<K extends keyof T & string>(key: K, fallback: string): string;
  string<K extends keyof T & string>(key: K): string | undefined;
  /** A non-empty string. */
  string<K extends keyof T & string>(key: K, fallback?: string): string | undefined {
    const value = this.#options[key] as unknown;
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || value.length === 0) throw this.error(key, 'a non-empty string', value);
    return value;
  }

  boolean<K extends keyof T & string>(key: K, fallback: boolean): boolean;
  boolean<K extends keyof T & string>(key: K): boolean | undefined;
  /** `true` or `false`. */
  boolean<K extends keyof T & string>(key: K, fallback?: boolean): boolean | undefined {
    const value = this.#options[key] as unknown;
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw this.error(key, 'true or false', value);
    return value;
  }

  integer<K extends keyof T & string>(key: K, min: number, fallback: number): number;
  integer<K extends keyof T & string>(key: K, min: number): number | undefined;
  /** A whole number `>= min`. */
  integer<K extends keyof T & string>(key: K, min: number, fallback?: number): number | undefined {
    return wholeNumber(this.#component, key, this.#options[key], min, fallback);
  }

  number<K extends keyof T & string>(key: K, range: NumberRange, fallback: number): number;
  number<K extends keyof T & string>(key: K, range: NumberRange): number | undefined;
  /** A finite number within `range` (bounds inclusive unless `exclusive`). */
  number<K extends keyof T & string>(key: K, range: NumberRange, fallback?: number): number | undefined {
    const value = this.#options[key] as unknown;
    if (value === undefined) return fallback;
    const { min = -Infinity, max = Infinity, exclusive = false } = range;
    const inside =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (exclusive ? value > min && value < max : value >= min && value <= max);
    if (!inside) {
      const [lo, hi] = exclusive ? ['>', '<'] : ['>=', '<='];
      const bounds = [min > -Infinity ? `${lo} ${min}` : '', max < Infinity ? `${hi} ${max}` : '']
        .filter(Boolean)
        .join(' and ');
      throw this.error(key, `a finite number${bounds ? ` ${bounds}` : ''}`, value);
    }
    return value;
  }

  duration<K extends keyof T & string>(key: K, fallback: Duration): number;
  duration<K extends keyof T & string>(key: K): number | undefined;
  /** A {@link Duration} (ms number or a string such as `"5s"`) > 0, in ms. */
  duration<K extends keyof T & string>(key: K, fallback?: Duration): number | undefined {
    const value = this.#options[key] as unknown;
    if (value === undefined) return fallback === undefined ? undefined : parseDuration(fallback, key);
    return parseDuration(value, `${this.#component}: ${key}`);
  }

  oneOf<K extends keyof T & string, C extends string>(key: K, choices: readonly C[], fallback: C): C;
  oneOf<K extends keyof T & string, C extends string>(key: K, choices: readonly C[]): C | undefined;
  /** One of `choices`. */
  oneOf<K extends keyof T & string, C extends string>(
    key: K,
    choices: readonly C[],
    fallback?: C,
  ): C | undefined {
    const value = this.#options[key] as unknown;
    if (value === undefined) return fallback;
    if (!choices.includes(value as C)) {
      throw this.error(key, `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`, value);
    }
    return value as C;
  }

  /** A function (`what` says its shape, e.g. `"(value, key) => bytes"`). */
  fn<K extends keyof T & string>(key: K, what: string): T[K] | undefined {
    const value = this.#options[key] as unknown;
    if (value === undefined) return undefined;
    if (typeof value !== 'function') throw this.error(key, `a function ${what}`, value);
    return value as T[K];
  }
}

/**
 * Accept an option's old name for one more release: `options` with each `old` key moved to its
 * new name (a copy; the caller's object is not changed). Passing both names is an error.
 *
 * @example
 * ```ts fragment
 * options = renamedOptions('RedisBackend', options, { commandTimeoutMs: 'timeoutMs' });
 * ```
 */
export function renamedOptions<T extends object>(
  component: string,
  options: T,
  renamed: Readonly<Record<string, string>>,
): T {
  if (typeof options !== 'object' || options === null) return options;
  let out: Record<string, unknown> | undefined;
  for (const [old, name] of Object.entries(renamed)) {
    if (!Object.hasOwn(options, old)) continue;
    if (Object.hasOwn(options, name)) {
      throw new InvalidOptionError(
        `${component}: "${old}" is the old name of "${name}"; pass only "${name}"`,
      );
    }
    const copy: Record<string, unknown> = out ?? { ...(options as Record<string, unknown>) };
    copy[name] = copy[old];
    delete copy[old];
    out = copy;
  }
  return (out ?? options) as T;
}

/** The key `options` uses for an option that has an old name too (`name` when neither is given). */
export function usedName(options: object, name: string, old: string): string {
  return Object.hasOwn(options, old) && !Object.hasOwn(options, name) ? old : name;
}

/** Bounds for {@link OptionReader.number}. */
export interface NumberRange {
  min?: number;
  max?: number;
  /** Both bounds exclusive. */
  exclusive?: boolean;
}

/**
 * `value` when it is a whole number `>= min`, `fallback` when it is `undefined`; anything else
 * is an `InvalidOptionError` in the kit's format naming `key` (for a value read outside an
 * {@link OptionReader}, e.g. under the name the caller used for a renamed option).
 */
export function wholeNumber<F extends number | undefined = undefined>(
  component: string,
  key: string,
  value: unknown,
  min: number,
  fallback?: F,
): number | F {
  if (value === undefined) return fallback as F;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidOptionError(
      `${component}: ${key} must be a whole number >= ${min}, got ${shown(value)}`,
    );
  }
  return value;
}

/**
 * Throw `InvalidOptionError` for the first key of `options` that is not in `known`, with the
 * closest known key (by edit distance, or from `aliases`) as a did-you-mean.
 */
export function rejectUnknownKeys(
  component: string,
  options: object,
  known: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const guess = Object.hasOwn(aliases, key) ? aliases[key] : closest(key, known);
    const hint = guess
      ? `did you mean "${guess}"?`
      : `known options are ${known.map((k) => `"${k}"`).join(', ')}`;
    throw new InvalidOptionError(`${component}: unknown option "${key}"; ${hint}`);
  }
}

/** The known word nearest to `word`, when it is near enough to be a likely typo. */
function closest(word: string, known: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const c = candidate.toLowerCase();
    const edits = editDistance(lower, c);
    // One key starting with the other is close, but a key one edit away is closer still.
    const distance = c.startsWith(lower) || lower.startsWith(c) ? Math.min(edits, 1.5) : edits;
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        previous[j]! + 1,
        row[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = row;
  }
  return previous[b.length]!;
}

/**
 * `true` when `value` is an object with every one of `methods` as a function: how the kit tells
 * a client, cache, backend or transport it was handed (by what it can do, not `instanceof`, so
 * an object from another copy of a package passes).
 */
export function hasMethods(value: unknown, methods: readonly string[]): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return methods.every((method) => typeof candidate[method] === 'function');
}

/**
 * `true` for an object literal (or `Object.create(null)`, or a plain object from another realm):
 * not an array, a `Map`, a class instance or anything else whose keys are not its options.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype || Object.getPrototypeOf(proto) === null;
}

/**
 * A value as an error message shows it (never a whole object: it may hold a password): a
 * string or number as itself, an object by its kind (`an object`, `an array`, `a Map`).
 */
export function shown(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  if (type === 'object' && !isPlainObject(value)) {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string' && /^[A-Za-z_$][\w$]{0,40}$/.test(name)) return withArticle(name);
  }
  return withArticle(type);
}

function withArticle(word: string): string {
  return `${/^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;
}
