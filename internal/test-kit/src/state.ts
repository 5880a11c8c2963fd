import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest directory above the kit that holds pnpm-workspace.yaml. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(
        'the test kit is not inside the tiercache repository (no pnpm-workspace.yaml above it)',
      );
    dir = parent;
  }
  return dir;
}

/**
 * Where native servers keep their state (ports, pids, logs, data): `.services/` at the
 * repository root, or `TIERCACHE_SERVICES_DIR` — point it elsewhere for a private set of servers
 * on their own ports (a fault-suite run that must not stop the servers other runs use).
 */
export function servicesDir(): string {
  return process.env.TIERCACHE_SERVICES_DIR ?? join(repoRoot(), '.services');
}
