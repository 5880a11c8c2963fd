// The TypeScript code blocks of the user-facing docs (README.md, docs/*.md, packages/*/README.md,
// examples/*/README.md). A fence "```ts" (or "```typescript") is a whole program that must
// type-check, run, and exit by itself; "```ts fragment" is an excerpt that needs surrounding
// code and is only shown (a vitest file, another library's code). An excerpt of a reference
// section can still be checked: an HTML comment "<!-- ts setup" ... "-->" right before its
// fence holds the code it assumes (the app's own types and data, a cache), and one
// "<!-- ts teardown" ... "-->" right after it what ends the program (close()); readers do not
// see them, the checks run setup + block + teardown. Used by tests/integration/readme-code.test.ts
// and scripts/consumer-check.mjs.
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
    let comment; // a "<!-- ts setup|teardown" comment being read
    let setup; // the setup read, for the next fence
    let last; // the block that just closed, while only blank lines follow it
    let index = 0;
    lines.forEach((text, i) => {
      if (comment) {
        if (text.trim() === '-->') {
          if (comment.kind === 'setup') setup = comment.body.join('\n');
          else if (last) last.code = `${last.code}\n${comment.body.join('\n')}`;
          else throw new Error(`${file}:${comment.line}: a ts teardown comment must follow a ts block`);
          comment = undefined;
        } else comment.body.push(text);
        return;
      }
      if (open) {
        if (text.startsWith('```')) {
          const id = `${file.replaceAll('/', '_').replace(/\.md$/, '')}-${index}`;
          last = {
            file,
            line: open.line,
            index: index++,
            id,
            code: [...(open.setup === undefined ? [] : [open.setup]), ...open.body].join('\n'),
            fragment: open.fragment,
          };
          blocks.push(last);
          open = undefined;
        } else open.body.push(text);
        return;
      }
      const hidden = /^<!-- ts (setup|teardown)\b/.exec(text);
      if (hidden) {
        if (hidden[1] === 'teardown' && !last) {
          throw new Error(`${file}:${i + 1}: a ts teardown comment must follow a ts block`);
        }
        comment = { kind: hidden[1], line: i + 1, body: [] };
        return;
      }
      const fence = /^```(ts|typescript)(\s+fragment)?\s*$/.exec(text);
      if (fence) {
        if (setup !== undefined && fence[2]) {
          throw new Error(
            `${file}:${i + 1}: a block with a ts setup comment is checked: fence it as ts, not ts fragment`,
          );
        }
        open = { line: i + 1, body: [], fragment: Boolean(fence[2]), setup };
        setup = undefined;
        last = undefined;
        return;
      }
      if (text.trim() !== '') {
        if (setup !== undefined)
          throw new Error(`${file}:${i + 1}: a ts setup comment must come right before a ts block`);
        last = undefined;
      }
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
