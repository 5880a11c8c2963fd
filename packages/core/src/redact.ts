/**
 * Credentials must never reach an error message, a `cause` we expose, an event or a log line.
 * Client libraries do not promise that: ioredis puts the AUTH command and its arguments (the
 * password) on the error of a failed login, and URLs carry `user:password@`.
 */

/** Commands whose arguments can hold a credential (Redis: `AUTH pw`, `HELLO 3 AUTH user pw`, ...). */
const SECRET_COMMANDS = new Set(['auth', 'hello', 'acl', 'config', 'migrate', 'sentinel']);
const REDACTED = '[redacted]';
/**
 * `user:password@` → `user:[redacted]@` (also `:password@` without a user) anywhere in a string,
 * not only in a URL that parses: a mistyped one (`rediss//app:pw@host`, `redis:/app:pw@host`,
 * `redis://app:pw@host:notaport`) still carries the password. The password runs to the last `@`
 * before a `/` or a space, as URL parsers read it, so a raw `@` inside it is covered too.
 */
const URL_PASSWORD = /((?:^|[\s/"'(<=,])[^\s/:@"'(<=,]*:)[^\s/]*@/g;
const HAS_URL_PASSWORD = /(?:^|[\s/"'(<=,])[^\s/:@"'(<=,]*:[^\s/]*@/;

/** `url` (or any text holding one) with each password replaced by `[redacted]`; other parts unchanged. */
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
