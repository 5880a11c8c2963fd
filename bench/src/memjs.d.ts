/**
 * The part of memjs's API the raw memcached row uses. bench/ does not depend on @types/memjs
 * (its dependency list is fixed), so the few calls it makes are declared here.
 */
declare module 'memjs' {
  /** A memjs client over one or more servers. */
  export class Client {
    static create(
      servers?: string,
      options?: { expires?: number; logger?: { log: (...args: unknown[]) => void } },
    ): Client;
    get(key: string): Promise<{ value: Buffer | null; flags: Buffer | null }>;
    set(key: string, value: string | Buffer, options?: { expires?: number }): Promise<boolean>;
    quit(): void;
    close(): void;
  }
}
