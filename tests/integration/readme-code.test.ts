import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { requireServer, SERVER_ENV, type ServerKind } from '@tiercache/test-servers';
import { describe, expect, it } from 'vitest';

/**
 * Every ```ts block of the READMEs runs as written (fences marked `ts fragment` are excerpts
 * that need surrounding code, and are only shown). Blocks that read REDIS_URL,
 * MEMCACHED_SERVERS or KAFKA_BROKERS get the real servers.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const outDir = fileURLToPath(new URL('./.readme/', import.meta.url));
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

const readmes = [
  'README.md',
  ...readdirSync(join(root, 'packages')).map((dir) => `packages/${dir}/README.md`),
  ...readdirSync(join(root, 'examples')).map((dir) => `examples/${dir}/README.md`),
].filter((file) => {
  try {
    readFileSync(join(root, file));
    return true;
  } catch {
    return false;
  }
});

interface Block {
  readme: string;
  index: number;
  line: number;
  code: string;
}

const blocks: Block[] = [];
for (const readme of readmes) {
  const lines = readFileSync(join(root, readme), 'utf8').split('\n');
  let open: { line: number; body: string[] } | undefined;
  let index = 0;
  lines.forEach((text, i) => {
    if (open) {
      if (text.startsWith('```')) {
        blocks.push({ readme, index: index++, line: open.line, code: open.body.join('\n') });
        open = undefined;
      } else open.body.push(text);
    } else if (/^```(ts|typescript)\s*$/.test(text)) open = { line: i + 1, body: [] };
  });
}

const servers = new Map<ServerKind, string | undefined>();
for (const kind of Object.keys(SERVER_ENV) as ServerKind[]) servers.set(kind, await requireServer(kind));

describe('README code blocks run as written', () => {
  it('finds the blocks', () => {
    expect(blocks.length).toBeGreaterThan(5);
  });

  for (const block of blocks) {
    const needs = (Object.entries(SERVER_ENV) as [ServerKind, string][]).filter(([, env]) =>
      block.code.includes(env),
    );
    const missing = needs.filter(([kind]) => !servers.get(kind));
    it.skipIf(missing.length > 0)(
      `${block.readme}:${block.line}`,
      async () => {
        const file = join(outDir, `${block.readme.replaceAll('/', '_')}-${block.index}.ts`);
        writeFileSync(file, `${block.code}\nexport {};\n`);
        await import(pathToFileURL(file).href);
      },
      30_000,
    );
  }
});
