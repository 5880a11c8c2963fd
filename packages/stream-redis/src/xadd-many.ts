import { LuaScript } from '@tiercache/l2-redis/lua-script';

/**
 * The `streamAdd`s of one tick in one call: for each KEYS[i], ARGV holds the number of its
 * XADD arguments then those arguments (`MAXLEN ~ n * field value …`). Replies one entry per
 * add: its id, or its own error (`redis.pcall`), so one failing add (a key of the wrong type)
 * fails only itself. XADD with `*` in a script needs effects replication, the default since
 * Redis 5.
 */
const SOURCE = `local ids = {}
local a = 1
for i = 1, #KEYS do
  local n = tonumber(ARGV[a])
  ids[i] = redis.pcall('XADD', KEYS[i], unpack(ARGV, a + 1, a + n))
  a = a + n + 1
end
return ids`;

/** The script behind batched `streamAdd`s (see above). */
export const XADD_MANY = new LuaScript(SOURCE);
