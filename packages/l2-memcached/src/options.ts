import { InvalidOptionError, jsonSerializer, type Serializer } from '@tiercache/core';
import { checkSerializer, hasMethods, rejectUnknownKeys, renamedOptions } from '@tiercache/core/adapter';
import type { Client } from 'memjs';

/** memcached's default item size limit (`-I 1m`). */
export const MEMCACHED_ITEM_SIZE_LIMIT = 1024 * 1024;

/**
 * Room left under the item size limit for what memcached stores beside the value: its item
 * header and CAS (about 56 bytes), the key (up to 250) and our 9-byte envelope, rounded up.
 */
const ITEM_OVERHEAD_BYTES = 1024;

/** The default {@link MemcachedBackendOptions.maxValueBytes}: 1 MiB minus 1 KiB = 1,047,552 bytes. */
export const DEFAULT_MAX_VALUE_BYTES = MEMCACHED_ITEM_SIZE_LIMIT - ITEM_OVERHEAD_BYTES;

/** The longest namespace, in UTF-8 bytes, so a hashed key still fits memcached's 250 bytes. */
export const MAX_NAMESPACE_BYTES = 128;

/** What to do with a key memcached cannot store as it is (see {@link MemcachedBackendOptions.keyPolicy}). */
export type KeyPolicy = 'hash' | 'reject';

/** Options for {@link MemcachedBackend}. Validated once, at construction. */
export interface MemcachedBackendOptions {
  /**
   * The servers, as `"host:port,host:port"` or `["host:port", ...]` (port defaults to 11211;
   * `user:pass@host:port` is accepted as memjs does). Give either `servers` or `client`.
   */
  servers?: string | readonly string[];
  /**
   * An existing memjs client to use instead of `servers`. It must keep memjs's default
   * (pass-through) serializer. It is not closed by `close()` unless `closeClient` is `true`.
   */
  client?: Client;
  /** Close `client` in `close()`. Default `false` (the caller owns it). Only with `client`. */
  closeClient?: boolean;
  /** SASL username passed to memjs. Only with `servers`. */
  username?: string;
  /** SASL password passed to memjs. Only with `servers`. */
  password?: string;
  /**
   * Prefix of every key, so several caches can share a server and `clear()` only touches its
   * own entries. No spaces, control characters or `:`; at most 128 bytes. Default `"tiercache"`.
   */
  prefix?: string;
  /** @deprecated the old name of `prefix` (one name for the namespace in every package); kept for one minor release. */
  namespace?: string;
  /** Turns values into bytes. Default core's `jsonSerializer`. */
  serializer?: Serializer;
  /**
   * Keys memcached cannot store as they are (over 250 bytes with the prefix, or holding spaces
   * or control characters): `'hash'` stores them under `<prefix>h:<sha256, base64url>`;
   * `'reject'` throws `InvalidKeyError` (`TIERCACHE_KEY_TOO_LONG` or `TIERCACHE_BAD_KEY`).
   * Default `'hash'`.
   */
  keyPolicy?: KeyPolicy;
  /**
   * The largest stored item (envelope included) in bytes; larger values are refused with
   * `ValueTooLargeError` before anything is sent. Set it a little under the server's `-I`
   * item size limit. Default 1,047,552 (1 MiB minus 1 KiB, for `-I 1m`).
   */
  maxValueBytes?: number;
  /**
   * How long any call may take, in ms, before it rejects with `TimeoutError` (`healthCheck`
   * resolves `false`). Also memjs's per-request and connect timeouts. Default 1000.
   */
  timeoutMs?: number;
  /**
   * Extra attempts memjs makes after a failed request (a refused or reset connection), within
   * `timeoutMs`. Default 1. Only with `servers`.
   */
  retries?: number;
  /** Pause before memjs retries, in ms. Default 50. Only with `servers`. */
  retryDelayMs?: number;
  /**
   * How long this instance trusts its cached namespace version, in ms. Another instance's
   * `clear()` is noticed within this window; `0` reads the version on every call (one more
   * round trip each). Default 1000.
   */
  versionCacheMs?: number;
  /** Name in stats, events and errors. Default `"memcached"`. */
  name?: string;
}

/** One memcached server address, parsed. */
export interface ServerAddress {
  host: string;
  port: number;
  /** The address as memjs reads it, credentials included. */
  spec: string;
}

/** Options after validation, with every default filled in. */
export interface ResolvedMemcachedOptions {
  servers: ServerAddress[] | undefined;
  client: Client | undefined;
  closeClient: boolean;
  username: string | undefined;
  password: string | undefined;
  namespace: string;
  serializer: Serializer;
  keyPolicy: KeyPolicy;
  maxValueBytes: number;
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
  versionCacheMs: number;
  name: string;
}

const KNOWN_OPTIONS = new Set([
  'servers',
  'client',
  'closeClient',
  'username',
  'password',
  'prefix',
  'namespace',
  'serializer',
  'keyPolicy',
  'maxValueBytes',
  'timeoutMs',
  'retries',
  'retryDelayMs',
  'versionCacheMs',
  'name',
]);

// Only the options that configure a memjs client we create; with `client` they would be ignored.
const CLIENT_ONLY_OPTIONS = ['username', 'password', 'retries', 'retryDelayMs'] as const;

/**
 * Validate {@link MemcachedBackendOptions} and fill in defaults. Throws `InvalidOptionError`
 * naming the option and what it should be.
 */
export function resolveMemcachedOptions(options: MemcachedBackendOptions): ResolvedMemcachedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('MemcachedBackend options must be an object with `servers` or `client`');
  }
  rejectUnknownKeys('MemcachedBackend', options, [...KNOWN_OPTIONS]);
  options = renamedOptions('MemcachedBackend', options, { namespace: 'prefix' });
  const hasServers = options.servers !== undefined;
  const hasClient = options.client !== undefined;
  if (hasServers === hasClient) {
    throw new InvalidOptionError(
      hasServers
        ? 'give either `servers` or `client`, not both'
        : 'give `servers` (e.g. "127.0.0.1:11211") or an existing memjs `client`',
    );
  }
  if (hasClient) {
    if (!hasMethods(options.client, ['get', 'set'])) {
      throw new InvalidOptionError('`client` must be a memjs Client (from memjs.Client.create(...))');
    }
    for (const key of CLIENT_ONLY_OPTIONS) {
      if (options[key] !== undefined) {
        throw new InvalidOptionError(
          `\`${key}\` only applies with \`servers\`; configure it on the memjs client you pass`,
        );
      }
    }
  } else if (options.closeClient !== undefined) {
    throw new InvalidOptionError(
      '`closeClient` only applies with `client`; a client made from `servers` is always closed',
    );
  }

  return {
    servers: hasServers ? parseServers(options.servers) : undefined,
    client: options.client,
    closeClient: optionalBoolean(options.closeClient, 'closeClient') ?? false,
    username: optionalString(options.username, 'username'),
    password: optionalString(options.password, 'password'),
    namespace: validateNamespace(options.prefix ?? 'tiercache'),
    serializer: checkSerializer('MemcachedBackend', options.serializer ?? jsonSerializer),
    keyPolicy: validateKeyPolicy(options.keyPolicy ?? 'hash'),
    maxValueBytes: integerIn(options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES, 'maxValueBytes', 1, 1024 ** 3),
    timeoutMs: numberIn(options.timeoutMs ?? 1000, 'timeoutMs', 1, 600_000),
    retries: integerIn(options.retries ?? 1, 'retries', 0, 10),
    retryDelayMs: numberIn(options.retryDelayMs ?? 50, 'retryDelayMs', 0, 60_000),
    versionCacheMs: numberIn(options.versionCacheMs ?? 1000, 'versionCacheMs', 0, 3_600_000),
    name: validateName(options.name ?? 'memcached'),
  };
}

function parseServers(input: unknown): ServerAddress[] {
  let specs: unknown[];
  if (typeof input === 'string') specs = input.split(',');
  else if (Array.isArray(input)) specs = input;
  else
    throw new InvalidOptionError(
      '`servers` must be a string "host:port,host:port" or an array of "host:port"',
    );
  if (specs.length === 0) throw new InvalidOptionError('`servers` is empty; give at least one "host:port"');
  return specs.map((raw) => {
    if (typeof raw !== 'string')
      throw new InvalidOptionError(`\`servers\` entries must be strings, got ${typeof raw}`);
    const spec = raw.trim();
    const hostPort = spec.slice(spec.lastIndexOf('@') + 1);
    const parts = hostPort.split(':');
    const host = parts[0] ?? '';
    const port = parts.length === 1 ? 11211 : Number(parts[1]);
    if (parts.length > 2 || host === '' || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new InvalidOptionError(
        `server "${spec.includes('@') ? `[credentials]@${hostPort}` : spec}" is not "host:port" (port 1-65535; IPv6 literals are not supported by memjs, use a host name)`,
      );
    }
    return { host, port, spec };
  });
}

function validateNamespace(namespace: unknown): string {
  if (typeof namespace !== 'string' || namespace === '') {
    throw new InvalidOptionError('MemcachedBackend: prefix must be a non-empty string');
  }
  // A `:` would let namespace "a" and namespace "a:1" produce the same keys.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u0020\u007f:]/.test(namespace)) {
    throw new InvalidOptionError(
      `MemcachedBackend: prefix "${namespace}" holds a space, control character or ":"; use e.g. "myapp-v2"`,
    );
  }
  if (Buffer.byteLength(namespace) > MAX_NAMESPACE_BYTES) {
    throw new InvalidOptionError(
      `MemcachedBackend: prefix is over ${MAX_NAMESPACE_BYTES} bytes; use a shorter one`,
    );
  }
  return namespace;
}

function validateKeyPolicy(policy: unknown): KeyPolicy {
  if (policy !== 'hash' && policy !== 'reject') {
    throw new InvalidOptionError(`\`keyPolicy\` must be 'hash' or 'reject', got ${JSON.stringify(policy)}`);
  }
  return policy;
}

function validateName(name: unknown): string {
  if (typeof name !== 'string' || name === '')
    throw new InvalidOptionError('`name` must be a non-empty string');
  return name;
}

function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new InvalidOptionError(`\`${what}\` must be a string`);
  return value;
}

function optionalBoolean(value: unknown, what: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new InvalidOptionError(`\`${what}\` must be true or false`);
  return value;
}

function numberIn(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidOptionError(`\`${what}\` must be a number from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

function integerIn(value: unknown, what: string, min: number, max: number): number {
  if (!Number.isInteger(value)) {
    throw new InvalidOptionError(
      `\`${what}\` must be a whole number from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return numberIn(value, what, min, max);
}
