import { join } from 'node:path';
import { type NativeRecipe, NativeServer } from '../native/native-server.js';
import type { ServerGroup } from '../server-handle.js';

/**
 * What the kit's groups share: nodes that are {@link NativeServer}s in `<stateDir>/node-<n>/`,
 * started and stopped together. A group adds how it forms (a Redis Cluster's slots) or when it
 * is whole (every Kafka broker seen).
 */
export abstract class NativeGroup implements ServerGroup {
  abstract readonly kind: string;
  readonly nodes: readonly NativeServer[];
  readonly urls: readonly string[];

  protected constructor(nodes: readonly NativeServer[]) {
    this.nodes = nodes;
    this.urls = nodes.map((n) => n.url);
  }

  /** Starts every node that is not running; resolves once each answers its client. */
  async start(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}

/** The `count` nodes kept in `<stateDir>/node-<n>/` (their ports drawn on first use), not started. */
export async function openNodes(
  stateDir: string,
  count: number,
  recipe: (index: number) => NativeRecipe,
): Promise<NativeServer[]> {
  const nodes: NativeServer[] = [];
  // One after another: each draws its free ports once the previous has kept its own.
  for (let i = 0; i < count; i++)
    nodes.push(await NativeServer.open(recipe(i), join(stateDir, `node-${i + 1}`)));
  return nodes;
}
