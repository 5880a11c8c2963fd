/**
 * The command line behind `scripts/services/` (run with tsx from the kit's source):
 *
 *   cli.ts start [kind...]     start (or reuse) each server, write .services/<kind>.env
 *   cli.ts stop [kind...]      stop each server (a frozen one too)
 *   cli.ts restart <kind...>   stop and start on the same port with the same data
 *   cli.ts status [kind...]    one line each; exit 3 when one is not running
 *   cli.ts running [kind...]   print the names of those running (for session.sh)
 *   cli.ts pid <kind>          the server's pid
 *   cli.ts compose             print docker-compose.test.yml as the descriptors make it
 *
 * Kinds default to redis, memcached and kafka. Installing a server (apt-get, Maven) is
 * `scripts/services/install.sh`'s job; `start` says to run it when a program is missing.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderCompose } from './compose.js';
import type { NativeServer } from './native/native-server.js';
import { nativeServer } from './native/recipes.js';
import { isServerKind, SERVER_ENV, SERVER_KINDS, type ServerKind } from './servers.js';
import { servicesDir } from './state.js';

const USAGE = 'usage: cli.ts start|stop|restart|status|running|pid|compose [redis|memcached|kafka ...]';

function kinds(names: string[]): ServerKind[] {
  if (names.length === 0) return [...SERVER_KINDS];
  for (const name of names) {
    if (!isServerKind(name))
      throw new UsageError(`unknown server "${name}"; known: ${SERVER_KINDS.join(', ')}`);
  }
  return names as ServerKind[];
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

async function main(argv: string[]): Promise<number> {
  const [command, ...names] = argv;
  switch (command) {
    case 'start': {
      let ok = true;
      for (const kind of kinds(names)) ok = (await start(kind)) && ok;
      return ok ? 0 : 1;
    }
    case 'stop': {
      // Kafka first: its clients in other servers' suites are gone by now, and it takes longest.
      for (const kind of kinds(names).reverse()) {
        const started = Date.now();
        const server = await nativeServer(kind);
        const pid = server.pid();
        await server.stop();
        console.log(
          pid === undefined ? `${kind}: not running` : `${kind}: stopped pid ${pid} (${took(started)})`,
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
      for (const kind of kinds(names)) {
        const server = await nativeServer(kind);
        const pid = server.pid();
        if (pid === undefined) {
          all = false;
          console.log(`${kind}: not running`);
        } else if (await server.answers()) {
          console.log(`${kind}: running, pid ${pid} at ${server.url}`);
        } else {
          console.log(`${kind}: pid ${pid} alive at ${server.url} but not answering (frozen?)`);
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
