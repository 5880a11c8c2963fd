// The TypeScript code blocks of the user-facing docs (README.md, docs/*.md, packages/*/README.md,
// examples/*/README.md). A fence "```ts" (or "```typescript") is a whole program that must
// type-check, run, and exit by itself; "```ts fragment" is an excerpt that needs surrounding
// code and is only shown. Used by tests/integration/readme-code.test.ts and
// scripts/consumer-check.mjs.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The Markdown files whose code is checked, relative to `root`. */
export function docFiles(root) {
  const under = (dir, pick) =>
    existsSync(join(root, dir))
      ? readdirSync(join(root, dir))
          .sort()
          .map(pick)
          .filter((file) => existsSync(join(root, file)))
      : [];
  return [
    'README.md',
    ...under('docs', (name) => `docs/${name}`).filter((file) => file.endsWith('.md')),
    ...under('packages', (dir) => `packages/${dir}/README.md`),
    ...under('examples', (dir) => `examples/${dir}/README.md`),
  ];
}

/**
 * Every ts block of `files`: `{ file, line, index, code, fragment }`, `line` being the 1-based
 * line of the opening fence and `id` a file-name-safe name.
 */
export function docBlocks(root, files = docFiles(root)) {
  const blocks = [];
  for (const file of files) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    let open;
    let index = 0;
    lines.forEach((text, i) => {
      if (open) {
        if (text.startsWith('```')) {
          const id = `${file.replaceAll('/', '_').replace(/\.md$/, '')}-${index}`;
          blocks.push({
            file,
            line: open.line,
            index: index++,
            id,
            code: open.body.join('\n'),
            fragment: open.fragment,
          });
          open = undefined;
        } else open.body.push(text);
        return;
      }
      const fence = /^```(ts|typescript)(\s+fragment)?\s*$/.exec(text);
      if (fence) open = { line: i + 1, body: [], fragment: Boolean(fence[2]) };
    });
  }
  return blocks;
}

/** The server addresses a block reads from the environment (`REDIS_URL`, ...), by env name. */
export const SERVER_ENV_NAMES = ['REDIS_URL', 'MEMCACHED_SERVERS', 'KAFKA_BROKERS'];

/** The env names of {@link SERVER_ENV_NAMES} that `code` mentions. */
export function serversUsed(code) {
  return SERVER_ENV_NAMES.filter((name) => code.includes(name));
}
