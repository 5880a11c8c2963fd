/**
 * The command line behind `scripts/services/` (run with tsx from the kit's source), for the
 * single servers (`cli.sh`) and the cluster groups (`cluster.sh`, which names all three groups
 * when given none):
 *
 *   cli.ts start [name...]     start (or reuse) each server or group, write .services/<name>.env
 *   cli.ts stop [name...]      stop each (a frozen one too)
 *   cli.ts restart <kind...>   stop and start a server on the same port with the same data
 *   cli.ts status [name...]    one line each (a group: one per node); exit 3 when one is not running
 *   cli.ts running [kind...]   print the names of the servers running (for session.sh)
 *   cli.ts pid <kind>          the server's pid
 *   cli.ts compose             print docker-compose.test.yml as the descriptors make it
 *   cli.ts freeze|resume|kill|restart <group> <node number, from 1>
 *
 * A name is a server (redis, memcached, kafka: the default) or a group (redis-cluster,
 * kafka-cluster, memcached-pool). Installing a server (apt-get, Maven) is
 * `scripts/services/install.sh`'s job; `start` says to run it when a program is missing.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GROUP_ENV, type GroupKind, groupAddresses, openGroup, writeGroupEnv } from './cluster/groups.js';
import { RedisClusterGroup } from './cluster/redis-cluster.js';
import { renderCompose } from './compose.js';
import type { NativeServer } from './native/native-server.js';
import { nativeServer } from './native/recipes.js';
import { isServerKind, SERVER_ENV, SERVER_KINDS, type ServerKind } from './servers.js';
import { servicesDir } from './state.js';

const USAGE =
  'usage: cli.ts start|stop|restart|status|running|pid|compose [redis|memcached|kafka|redis-cluster|kafka-cluster|memcached-pool ...] | freeze|resume|kill|restart <group> <n>';

const GROUP_KINDS = Object.keys(GROUP_ENV) as GroupKind[];

function isGroupKind(name: string): name is GroupKind {
  return Object.hasOwn(GROUP_ENV, name);
}

/** Servers only (`running`, `pid`, `restart` of a server). */
function kinds(names: string[]): ServerKind[] {
  if (names.length === 0) return [...SERVER_KINDS];
  for (const name of names) {
    if (!isServerKind(name))
      throw new UsageError(`unknown server "${name}"; known: ${SERVER_KINDS.join(', ')}`);
  }
  return names as ServerKind[];
}

/** Servers and groups (`start`, `stop`, `status`). */
function targets(names: string[]): (ServerKind | GroupKind)[] {
  if (names.length === 0) return [...SERVER_KINDS];
  for (const name of names) {
    if (!isServerKind(name) && !isGroupKind(name))
      throw new UsageError(
        `unknown server "${name}"; known: ${[...SERVER_KINDS, ...GROUP_KINDS].join(', ')}`,
      );
  }
  return names as (ServerKind | GroupKind)[];
}

class UsageError extends Error {}

function envFile(kind: ServerKind): string {
  return join(servicesDir(), `${kind}.env`);
}

function writeEnv(server: NativeServer): void {
  writeFileSync(envFile(server.server), `export ${SERVER_ENV[server.server]}=${server.url}\n`);
}

function took(started: number): string {
  return `${((Date.now() - started) / 1000).toFixed(1)}s`;
}

/** Start one server; one retry, because a first start on a fresh machine can trip on a port taken meanwhile. */
async function start(kind: ServerKind): Promise<boolean> {
  const started = Date.now();
  // A stale address must not outlive a failed start.
  rmSync(envFile(kind), { force: true });
  for (let attempt = 1; attempt <= 2; attempt++) {
    const server = await nativeServer(kind);
    const before = server.pid();
    try {
      await server.start();
      writeEnv(server);
      const how = before === undefined ? 'started' : 'already running,';
      console.log(
        `${kind}: ${how} pid ${server.pid()} at ${server.url} (${took(started)}); wrote ${envFile(kind)}`,
      );
      return true;
    } catch (error) {
      console.error(`${kind}: ${(error as Error).message}`);
      if (attempt === 1) {
        console.error(`${kind}: failed to start; stopping it and trying once more`);
        await server.stop().catch(() => undefined);
      }
    }
  }
  console.error(`${kind}: failed to start (see ${join(servicesDir(), kind)}/*.log)`);
  return false;
}

/** Start a group (nodes already running are reused) and write its env file. */
async function startGroup(kind: GroupKind): Promise<boolean> {
  const started = Date.now();
  try {
    const group = await openGroup(kind);
    await group.start();
    const file = writeGroupEnv(kind, group);
    console.log(`${kind}: running at ${groupAddresses(group)} (${took(started)}); wrote ${file}`);
    return true;
  } catch (error) {
    console.error(`${kind}: failed to start: ${(error as Error).message}`);
    return false;
  }
}

/** One line per node of the group; `false` when one is not running. */
async function groupStatus(kind: GroupKind): Promise<boolean> {
  const group = await openGroup(kind);
  const roles = group instanceof RedisClusterGroup ? await group.roles().catch(() => []) : [];
  let all = true;
  console.log(kind);
  for (const [i, node] of group.nodes.entries()) {
    const pid = node.pid();
    all &&= pid !== undefined;
    const role = roles.find((r) => r.node === node)?.role;
    console.log(
      `  ${i + 1}: ${node.url} ${pid !== undefined ? `running (pid ${pid})` : 'stopped'}${role ? ` ${role}` : ''}`,
    );
  }
  return all;
}

/** freeze|resume|kill|restart on node `number` (from 1) of a group. */
async function nodeCommand(
  command: 'freeze' | 'resume' | 'kill' | 'restart',
  kind: GroupKind,
  number: string | undefined,
): Promise<number> {
  const started = Date.now();
  const group = await openGroup(kind);
  const index = Number(number) - 1;
  const node = group.nodes[index];
  if (!node) throw new UsageError(`${kind} has nodes 1..${group.nodes.length}, got "${number}"`);
  await node[command]();
  console.log(`${kind} node ${index + 1} (${node.url}): ${command} done (${took(started)})`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...names] = argv;
  if (
    (command === 'freeze' || command === 'resume' || command === 'kill' || command === 'restart') &&
    names[0] !== undefined &&
    isGroupKind(names[0])
  ) {
    return nodeCommand(command, names[0], names[1]);
  }
  switch (command) {
    case 'start': {
      let ok = true;
      for (const name of targets(names)) {
        ok = (isGroupKind(name) ? await startGroup(name) : await start(name)) && ok;
      }
      return ok ? 0 : 1;
    }
    case 'stop': {
      // Kafka first: its clients in other servers' suites are gone by now, and it takes longest.
      for (const name of targets(names).reverse()) {
        const started = Date.now();
        if (isGroupKind(name)) {
          await (await openGroup(name)).stop();
          console.log(`${name}: stopped (${took(started)})`);
          continue;
        }
        const server = await nativeServer(name);
        const pid = server.pid();
        await server.stop();
        console.log(
          pid === undefined ? `${name}: not running` : `${name}: stopped pid ${pid} (${took(started)})`,
        );
      }
      return 0;
    }
    case 'restart': {
      if (names.length === 0) throw new UsageError('restart needs the servers to restart');
      for (const kind of kinds(names)) {
        const started = Date.now();
        const server = await nativeServer(kind);
        await server.restart();
        writeEnv(server);
        console.log(`${kind}: restarted, pid ${server.pid()} at ${server.url} (${took(started)})`);
      }
      return 0;
    }
    case 'status': {
      let all = true;
      for (const name of targets(names)) {
        if (isGroupKind(name)) {
          all = (await groupStatus(name)) && all;
          continue;
        }
        const server = await nativeServer(name);
        const pid = server.pid();
        if (pid === undefined) {
          all = false;
          console.log(`${name}: not running`);
        } else if (await server.answers()) {
          console.log(`${name}: running, pid ${pid} at ${server.url}`);
        } else {
          console.log(`${name}: pid ${pid} alive at ${server.url} but not answering (frozen?)`);
        }
      }
      return all ? 0 : 3;
    }
    case 'running': {
      for (const kind of kinds(names)) if ((await nativeServer(kind)).pid() !== undefined) console.log(kind);
      return 0;
    }
    case 'pid': {
      if (names.length !== 1) throw new UsageError('pid needs exactly one server');
      const [kind] = kinds(names);
      const pid = (await nativeServer(kind!)).pid();
      if (pid === undefined) {
        console.error(`${kind}: not running`);
        return 3;
      }
      console.log(pid);
      return 0;
    }
    case 'compose':
      process.stdout.write(renderCompose());
      return 0;
    default:
      throw new UsageError(USAGE);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof UsageError ? error.message : error);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
