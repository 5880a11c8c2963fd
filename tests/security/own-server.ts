import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NativeRecipe, NativeServer } from '@tiercache/test-kit';

/** A throwaway server of this suite's own (its settings may be changed freely), on 127.0.0.1. */
export interface OwnServer {
  port: number;
  stop(): Promise<void>;
}

/** Start `recipe` (the kit's native recipe, with extra args) in a temporary state directory. */
export async function startOwnServer(recipe: NativeRecipe, name: string): Promise<OwnServer> {
  const stateDir = mkdtempSync(join(tmpdir(), `tiercache-${name}-`));
  const server = await NativeServer.open(recipe, stateDir);
  await server.start();
  return {
    port: server.port,
    stop: async () => {
      await server.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
