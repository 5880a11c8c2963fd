import { setTimeout as delay } from 'node:timers/promises';

/** A product as the slow "database" returns it (about 200 bytes of JSON). */
export interface Product {
  id: number;
  name: string;
  price: number;
  stock: number;
  tags: string[];
  description: string;
}

/**
 * The slow backing store the cache protects: every load takes `latencyMs` and is counted,
 * so the demo can show how many loads the cache saved and that a stampede costs one load.
 */
export class CatalogDb {
  loads = 0;
  readonly loadsById = new Map<number, number>();

  constructor(readonly latencyMs: number) {}

  async load(id: number): Promise<Product> {
    this.loads++;
    this.loadsById.set(id, (this.loadsById.get(id) ?? 0) + 1);
    await delay(this.latencyMs);
    return {
      id,
      name: `Product ${id}`,
      price: Math.round((id * 7.31) % 500) + 0.99,
      stock: (id * 13) % 97,
      tags: ['catalog', id % 2 === 0 ? 'even' : 'odd'],
      description: `A fine product number ${id}, loaded from the slow database.`,
    };
  }
}
