/**
 * Credentials must never reach an error message, a `cause` we expose, an event or a log line.
 * Client libraries do not promise that: ioredis puts the AUTH command and its arguments (the
 * password) on the error of a failed login, and URLs carry `user:password@`.
 */

/** Commands whose arguments can hold a credential (Redis: `AUTH pw`, `HELLO 3 AUTH user pw`, ...). */
const SECRET_COMMANDS = new Set(['auth', 'hello', 'acl', 'config', 'migrate', 'sentinel']);
const REDACTED = '[redacted]';
/** `scheme://user:password@` → `scheme://user:[redacted]@` (also a password without a user). */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)[^@\s/]+@/gi;
const HAS_URL_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:[^@\s/]+@/i;

/** `url` with its password replaced by `[redacted]`; other parts unchanged. */
export function redactUrl(url: string): string {
  return url.replace(URL_PASSWORD, `$1${REDACTED}@`);
}

/**
 * Remove credentials from an error and what hangs off it (`cause`, `errors`, `lastNodeError`,
 * `previousErrors`), in place, and return it: a client's command arguments on commands that
 * carry secrets, and passwords inside URLs in messages and stacks. Anything that is not an
 * object comes back unchanged.
 */
export function redactSecrets<T>(error: T): T {
  scrub(error, 0, new Set());
  return error;
}

function scrub(value: unknown, depth: number, seen: Set<object>): void {
  if (value === null || typeof value !== 'object' || depth > 5 || seen.has(value)) return;
  seen.add(value);
  const record = value as Record<string, unknown>;
  const command = record.command as { name?: unknown; args?: unknown } | undefined;
  if (
    command !== null &&
    typeof command === 'object' &&
    typeof command.name === 'string' &&
    SECRET_COMMANDS.has(command.name.toLowerCase()) &&
    Array.isArray(command.args)
  ) {
    try {
      command.args = command.args.map(() => REDACTED);
    } catch {
      // a frozen object: nothing we can do in place
    }
  }
  if (value instanceof Error) {
    try {
      if (HAS_URL_PASSWORD.test(value.message)) value.message = redactUrl(value.message);
      if (typeof value.stack === 'string' && HAS_URL_PASSWORD.test(value.stack))
        value.stack = redactUrl(value.stack);
    } catch {
      // read-only message or stack
    }
  }
  for (const child of ['cause', 'lastNodeError', 'previousErrors', 'errors']) {
    const next = record[child];
    if (Array.isArray(next)) for (const item of next) scrub(item, depth + 1, seen);
    else scrub(next, depth + 1, seen);
  }
}
