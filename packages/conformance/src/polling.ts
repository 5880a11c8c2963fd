/**
 * Check `condition` every `intervalMs` until it holds or `timeoutMs` has passed; resolves
 * whether it held. Cases poll instead of sleeping a fixed time so a slow machine takes longer
 * rather than failing, while a backend that never expires anything still fails at the bound.
 */
export async function pollUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 20,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await delay(intervalMs);
  }
}

/** Resolve after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
