import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireServer, SERVER_ENV, type ServerKind } from '@tiercache/test-kit';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { docBlocks } from '../../scripts/lib/doc-blocks.mjs';

/**
 * Every ```ts block of README.md, docs/*.md, packages/*\/README.md and examples/*\/README.md is
 * a whole program: it type-checks (strict, module nodenext, against the built packages) and
 * runs in a child process of its own, which must exit by itself once the program is done, so
 * a sample that leaves a connection open fails here. Fences marked `ts fragment` are excerpts
 * that need surrounding code and are only shown; hidden `<!-- ts setup -->` / `<!-- ts teardown -->`
 * comments around a block give it the code it assumes, so reference excerpts are checked too
 * (scripts/lib/doc-blocks.mjs). Blocks that read REDIS_URL,
 * MEMCACHED_SERVERS or KAFKA_BROKERS get the real servers' addresses.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const outDir = fileURLToPath(new URL('./.readme/', import.meta.url));
const EXIT_WITHIN_MS = 20_000;
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

const blocks = docBlocks(root).filter((block) => !block.fragment);
for (const block of blocks) writeFileSync(join(outDir, `${block.id}.mts`), `${block.code}\nexport {};\n`);
writeFileSync(
  join(outDir, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
    },
    include: ['*.mts'],
  }),
);

const servers = new Map<ServerKind, string | undefined>();
for (const kind of Object.keys(SERVER_ENV) as ServerKind[]) servers.set(kind, await requireServer(kind));

/** Run `file` with this Node; resolves its exit code, or `'timeout'` if it did not exit in time. */
function runAlone(file: string): Promise<{ code: number | 'timeout'; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], {
      cwd: outDir,
      env: { ...process.env, PROMETHEUS_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ code: 'timeout', output });
    }, EXIT_WITHIN_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output });
    });
  });
}

describe('docs code blocks type-check, run, and exit by themselves', () => {
  it('finds the blocks, in the READMEs and in docs/', () => {
    expect(blocks.length).toBeGreaterThan(10);
    expect(blocks.some((block) => block.file.startsWith('docs/'))).toBe(true);
  });

  it('a ts setup comment before a block and a ts teardown after it are checked with it, unseen by readers', () => {
    const dir = join(outDir, 'parse');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'doc.md'),
      [
        '<!-- ts setup',
        'const cache = make();',
        '-->',
        '```ts',
        "await cache.set('k', 1);",
        '```',
        '',
        '<!-- ts teardown',
        'await cache.close();',
        '-->',
        '```ts fragment',
        'shown only',
        '```',
      ].join('\n'),
    );
    expect(docBlocks(dir, ['doc.md']).map(({ code, fragment, line }) => ({ code, fragment, line }))).toEqual([
      {
        code: "const cache = make();\nawait cache.set('k', 1);\nawait cache.close();",
        fragment: false,
        line: 4,
      },
      { code: 'shown only', fragment: true, line: 11 },
    ]);
    writeFileSync(
      join(dir, 'bad.md'),
      ['<!-- ts setup', 'x', '-->', '```ts fragment', 'y', '```'].join('\n'),
    );
    expect(() => docBlocks(dir, ['bad.md'])).toThrow(/fence it as ts, not ts fragment/);
  });

  it('every block type-checks (strict, nodenext) against the built packages', () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', join(outDir, 'tsconfig.json')], { encoding: 'utf8' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    // Name the Markdown file and line of each error, not the generated file.
    for (const block of blocks)
      output = output.replaceAll(`${block.id}.mts`, `${block.file}:${block.line} (block)`);
    expect(output).toBe('');
  }, 120_000);

  for (const block of blocks) {
    const needs = (Object.entries(SERVER_ENV) as [ServerKind, string][]).filter(([, env]) =>
      block.code.includes(env),
    );
    const missing = needs.filter(([kind]) => !servers.get(kind));
    it.skipIf(missing.length > 0)(
      `${block.file}:${block.line} runs and exits by itself`,
      async () => {
        const source = `${block.code}\nexport {};\n`;
        const js = ts.transpileModule(source, {
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        }).outputText;
        const file = join(outDir, `${block.id}.mjs`);
        writeFileSync(file, js);
        const { code, output } = await runAlone(file);
        if (code === 'timeout') {
          throw new Error(
            `${block.file}:${block.line} did not exit within ${EXIT_WITHIN_MS / 1000} s: something it opened is still open after its close()\n${output}`,
          );
        }
        expect({ code, output }).toMatchObject({ code: 0 });
      },
      EXIT_WITHIN_MS + 10_000,
    );
  }
});
