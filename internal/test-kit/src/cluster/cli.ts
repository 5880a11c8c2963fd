/**
 * Control the test kit's clusters from a shell (`scripts/services/cluster.sh` runs this):
 *
 *   cluster.sh start  [redis-cluster|kafka-cluster|memcached-pool ...]   (default: all three)
 *   cluster.sh stop   [kind ...]
 *   cluster.sh status [kind ...]
 *   cluster.sh freeze|resume|kill|restart <kind> <node number, from 1>
 *
 * `start` writes `.services/<kind>.env` (`export REDIS_CLUSTER_NODES=127.0.0.1:PORT,...`).
 */
import { GROUP_ENV, type GroupKind, groupAddresses, openGroup, writeGroupEnv } from './groups.js';
import { RedisClusterGroup } from './redis-cluster.js';

const KINDS = Object.keys(GROUP_ENV) as GroupKind[];

function kindsOf(args: string[]): GroupKind[] {
  if (args.length === 0) return KINDS;
  for (const a of args) {
    if (!KINDS.includes(a as GroupKind)) throw new Error(`unknown group "${a}"; one of ${KINDS.join(', ')}`);
  }
  return args as GroupKind[];
}

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  const startedAt = Date.now();
  const took = () => `${((Date.now() - startedAt) / 1000).toFixed(1)}s`;
  switch (command) {
    case 'start':
      for (const kind of kindsOf(args)) {
        const group = await openGroup(kind);
        await group.start();
        const file = writeGroupEnv(kind, group);
        console.log(`${kind}: running at ${groupAddresses(group)} (${took()}); wrote ${file}`);
      }
      return;
    case 'stop':
      for (const kind of kindsOf(args)) {
        await (await openGroup(kind)).stop();
        console.log(`${kind}: stopped (${took()})`);
      }
      return;
    case 'status': {
      let down = false;
      for (const kind of kindsOf(args)) {
        const group = await openGroup(kind);
        const roles =
          group instanceof RedisClusterGroup ? await group.roles().catch(() => []) : ([] as const);
        console.log(kind);
        for (const [i, node] of group.nodes.entries()) {
          const running = await node.running();
          down ||= !running;
          const role = roles.find((r) => r.node === node)?.role;
          console.log(
            `  ${i + 1}: ${node.url} ${running ? `running (pid ${node.pid()})` : 'stopped'}${role ? ` ${role}` : ''}`,
          );
        }
      }
      process.exitCode = down ? 3 : 0;
      return;
    }
    case 'freeze':
    case 'resume':
    case 'kill':
    case 'restart': {
      const [kind] = kindsOf(args.slice(0, 1));
      const group = await openGroup(kind!);
      const index = Number(args[1]) - 1;
      const node = group.nodes[index];
      if (!node) throw new Error(`${kind} has nodes 1..${group.nodes.length}, got "${args[1]}"`);
      await node[command]();
      console.log(`${kind} node ${index + 1} (${node.url}): ${command} done (${took()})`);
      return;
    }
    default:
      throw new Error(
        'usage: cluster.sh start|stop|status [kind ...] | freeze|resume|kill|restart <kind> <n>',
      );
  }
}

main().catch((error: unknown) => {
  console.error(`cluster: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
