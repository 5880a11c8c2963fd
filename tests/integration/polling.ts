const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `check` every 20 ms until it is true; throws after `boundMs` (a hang guard, not a speed check). */
export async function eventually(check: () => boolean | Promise<boolean>, boundMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > boundMs) throw new Error(`condition not met within ${boundMs} ms`);
    await wait(20);
  }
}

export { wait };
