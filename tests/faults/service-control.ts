import {
  type NativeServer,
  nativeServer,
  resumeFrozen,
  SERVER_ENV,
  type ServerKind,
} from '@tiercache/test-kit';

/**
 * The shared native server of `kind` that the fault suite freezes, kills and restarts: the one
 * whose state is in `.services/` (or in `TIERCACHE_SERVICES_DIR`: start a private set of servers
 * with it set, and run the suite with it set, to leave the servers other runs use alone). It must
 * be the server the suite's clients were given (`url`, from `requireServer`), or the faults would
 * hit one server while the clients use another.
 */
export async function controlledServer(kind: ServerKind, url: string): Promise<NativeServer> {
  const server = await nativeServer(kind);
  if (server.url !== url) {
    throw new Error(
      `the fault suite controls the ${kind} server kept in ${server.stateDir} (${server.url}), but ${SERVER_ENV[kind]} is ${url}; start the servers with "source scripts/services/start.sh", or set TIERCACHE_SERVICES_DIR to the state directory of the ones you started`,
    );
  }
  return server;
}

/**
 * After each test: resume what it froze and start what it stopped, so a test that failed half-way
 * does not leave the shared server down for the suites after it.
 */
export async function ensureRunning(server: NativeServer): Promise<void> {
  resumeFrozen();
  await server.start();
}
