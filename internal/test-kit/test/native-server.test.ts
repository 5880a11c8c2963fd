import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NativeServer } from '../src/native/native-server.js';
import { onPath } from '../src/native/native-server.js';
import { alive, processState } from '../src/native/process.js';
import { nativeServer } from '../src/native/recipes.js';
import { whyNotReady } from '../src/readiness.js';
import type { ServerKind } from '../src/servers.js';

// Each case runs its own server in a temporary state directory, never the shared ones.
const kinds: [ServerKind, string][] = [
  ['redis', 'redis-server'],
  ['memcached', 'memcached'],
];
const root = mkdtempSync(join(tmpdir(), 'tiercache-native-'));
const servers: NativeServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(root, { recursive: true, force: true });
});

describe.each(kinds)('a native %s handle', (kind, program) => {
  if (!onPath(program) && process.env.CI === 'true') {
    throw new Error(`[CI] ${program} is not installed (bash scripts/services/install.sh ${kind})`);
  }

  it.skipIf(!onPath(program))(
    'starts, freezes, resumes, is killed, starts and restarts on the same address',
    async () => {
      const server = await nativeServer(kind, { stateDir: join(root, kind) });
      servers.push(server);
      const answer = () => whyNotReady(kind, server.url, 500);

      await server.start();
      const pid = server.pid()!;
      expect(await answer(), 'a client gets an answer once start() resolves').toBeUndefined();
      await server.start();
      expect(server.pid(), 'start() on a running server is a no-op').toBe(pid);

      await server.freeze();
      expect(processState(pid)).toBe('T');
      expect(await answer(), 'a frozen server answers nothing').toMatch(/no answer|timeout|timed out/i);
      expect(await server.running(), 'a frozen server is alive').toBe(true);
      await server.resume();
      expect(await answer()).toBeUndefined();

      await server.kill();
      expect(alive(pid)).toBe(false);
      expect(await server.running()).toBe(false);
      expect(await answer(), 'a killed server refuses connections').toMatch(/ECONNREFUSED|closed|connect/i);

      await server.start();
      expect(server.pid()).not.toBe(pid);
      expect(await answer(), 'started again on the same address').toBeUndefined();

      const before = server.pid()!;
      await server.restart();
      expect(alive(before)).toBe(false);
      expect(await answer()).toBeUndefined();

      const again = await nativeServer(kind, { stateDir: join(root, kind) });
      expect(again.url, 'another process opening the same state sees the same server').toBe(server.url);
      expect(again.pid()).toBe(server.pid());

      await server.freeze();
      await server.stop();
      expect(await server.running(), 'stop() ends a frozen server too').toBe(false);
    },
    60_000,
  );
});
