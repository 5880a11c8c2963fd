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

  /** Run with `keys` and `args`; `binary` returns bulk replies as Buffers. */
  async run(
    client: Redis | Cluster,
    keys: readonly string[],
    args: readonly (string | number)[],
    binary = false,
  ): Promise<unknown> {
    const tail = [...keys, ...args];
    const buffers = client as unknown as BufferScripting;
    try {
      return binary
        ? await buffers.evalshaBuffer(this.sha, keys.length, ...tail)
        : await client.evalsha(this.sha, keys.length, ...tail);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return binary
        ? await buffers.evalBuffer(this.source, keys.length, ...tail)
        : await client.eval(this.source, keys.length, ...tail);
    }
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
