import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/**
 * The Buffer-reply variants ioredis generates at runtime for every command but leaves out of
 * its typings. (`callBuffer` is no substitute: under auto-pipelining ioredis 5.11 drops its
 * command name.)
 */
interface BufferScripting {
  evalshaBuffer(sha: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
  evalBuffer(source: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
}

/**
 * A Lua script run by SHA with EVALSHA, falling back to EVAL when the server does not have
 * it cached yet (first use, after SCRIPT FLUSH or a failover). EVAL also caches it, so later
 * calls take the one-command path.
 */
export class LuaScript {
  readonly source: string;
  readonly sha: string;

  constructor(source: string) {
    this.source = source;
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /**
   * Run with one key and at most one argument (all our scripts need); `binary` returns bulk
   * replies as Buffers. A fixed arity keeps the hot path free of argument arrays.
   */
  async run(client: Redis | Cluster, key: string, arg?: string, binary = false): Promise<unknown> {
    try {
      return await this.#send(client, this.sha, true, key, arg, binary);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return await this.#send(client, this.source, false, key, arg, binary);
    }
  }

  /** Run with any number of keys and arguments (for the scripts that need more than one). */
  async runMany(
    client: Redis | Cluster,
    keys: readonly string[],
    args: readonly (string | number | Buffer)[],
  ): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return await client.eval(this.source, keys.length, ...keys, ...args);
    }
  }

  #send(
    client: Redis | Cluster,
    script: string,
    bySha: boolean,
    key: string,
    arg: string | undefined,
    binary: boolean,
  ): Promise<unknown> {
    if (binary) {
      const buffers = client as unknown as BufferScripting;
      if (bySha) {
        return arg === undefined
          ? buffers.evalshaBuffer(script, 1, key)
          : buffers.evalshaBuffer(script, 1, key, arg);
      }
      return arg === undefined ? buffers.evalBuffer(script, 1, key) : buffers.evalBuffer(script, 1, key, arg);
    }
    if (bySha)
      return arg === undefined ? client.evalsha(script, 1, key) : client.evalsha(script, 1, key, arg);
    return arg === undefined ? client.eval(script, 1, key) : client.eval(script, 1, key, arg);
  }
}

/**
 * `{pttl, value}` for KEYS[1] in one atomic step, or `{-2}` on a miss. PTTL comes first
 * because a nil in a Lua table would cut the reply short.
 */
export const GET_WITH_TTL = new LuaScript(`local ttl = redis.call('PTTL', KEYS[1])
if ttl == -2 then return {-2} end
return {ttl, redis.call('GET', KEYS[1])}`);

/** Delete KEYS[1] only while it still holds ARGV[1] (the holder's token); 1 when deleted. */
export const RELEASE_LOCK = new LuaScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`);

/**
 * Guarded write: store ARGV[2] under KEYS[1] (with PX ARGV[3] when not empty) only while the
 * key holds what the token ARGV[1] names — `<epoch>:<sha1 of the stored bytes>`, where the
 * epoch is KEYS[2]'s value (a namespace-wide mark changed by pattern deletes and clears; no
 * KEYS[2] on a Cluster). 1 when stored, 0 when something else was written since.
 */
export const SET_IF_UNCHANGED = new LuaScript(`local cur = redis.call('GET', KEYS[1])
local epoch = ''
if KEYS[2] then epoch = redis.call('GET', KEYS[2]) or '' end
local token = epoch .. ':'
if cur then token = token .. redis.sha1hex(cur) end
if token ~= ARGV[1] then return 0 end
if ARGV[3] == '' then redis.call('SET', KEYS[1], ARGV[2]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1`);

/**
 * Store ARGV[2i-1] under KEYS[i] for every i, with PX ARGV[2i] when that is not empty: the
 * writes of one tick in one call (`RedisBackend`'s coalesced writes). Not atomic on an error
 * (the writes before it stay), like the separate SETs it replaces.
 */
export const SET_MANY = new LuaScript(`for i = 1, #KEYS do
  local ttl = ARGV[2 * i]
  if ttl == '' then redis.call('SET', KEYS[i], ARGV[2 * i - 1]) else redis.call('SET', KEYS[i], ARGV[2 * i - 1], 'PX', ttl) end
end
return #KEYS`);
