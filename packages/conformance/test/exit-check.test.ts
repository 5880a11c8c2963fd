import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { exitCheckProblem } from '../src/handles.js';

const module = fileURLToPath(new URL('./fixtures/exit-backends.mjs', import.meta.url));

describe('the exit check (a child process builds, uses and closes the backend)', () => {
  it('passes for a backend whose close() releases its timer', async () => {
    await expect(
      exitCheckProblem({ module, exportName: 'tidy', boundMs: 3000 }, 'cache'),
    ).resolves.toBeUndefined();
  }, 30_000);

  it('names a missing export instead of timing out', async () => {
    await expect(exitCheckProblem({ module, exportName: 'nope' }, 'cache')).resolves.toMatch(
      /failed before close\(\).*nope is not a function exported by/,
    );
  }, 30_000);
});
