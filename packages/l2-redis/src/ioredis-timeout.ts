/** `true` for the plain Error ioredis rejects with when its own `commandTimeout` fires. */
export function isIoredisTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'Command timed out';
}
