import { fileURLToPath } from 'node:url';

/** `.services/` at the repository root (gitignored): the state of the servers the kit starts. */
export function servicesDir(): string {
  return (
    process.env.TIERCACHE_SERVICES_STATE ?? fileURLToPath(new URL('../../../../.services/', import.meta.url))
  );
}
