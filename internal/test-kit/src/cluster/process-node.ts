import type { ServerHandle } from '../server-handle.js';
import { type NodeProcess, waitUntil } from './node-process.js';

/** What a {@link ProcessNode} needs besides its process. */
export interface ProcessNodeSpec {
  kind: string;
  url: string;
  process: NodeProcess;
  /** Resolves `true` once a real client gets an answer from this node alone. */
  answers: () => Promise<boolean>;
  startTimeoutMs: number;
}

/** One node of a cluster or pool as a {@link ServerHandle}: a native process on 127.0.0.1. */
export class ProcessNode implements ServerHandle {
  readonly kind: string;
  readonly url: string;
  readonly #spec: ProcessNodeSpec;

  constructor(spec: ProcessNodeSpec) {
    this.kind = spec.kind;
    this.url = spec.url;
    this.#spec = spec;
  }

  /** The node's pid while it runs. */
  get pid(): number | undefined {
    return this.#spec.process.pid();
  }

  async start(): Promise<void> {
    const pid = this.#spec.process.spawn();
    try {
      await waitUntil(
        async () => {
          if (this.#spec.process.pid() !== pid) throw new Error(`process ${pid} exited`);
          return this.#spec.answers();
        },
        this.#spec.startTimeoutMs,
        `${this.kind} ${this.url} (pid ${pid}) did not answer`,
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`${message}\n--- last lines of its log ---\n${this.#spec.process.logTail()}`);
    }
  }

  stop(): Promise<void> {
    return this.#spec.process.stop();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async freeze(): Promise<void> {
    this.#spec.process.freeze();
  }

  async resume(): Promise<void> {
    this.#spec.process.resume();
  }

  kill(): Promise<void> {
    return this.#spec.process.kill();
  }

  async running(): Promise<boolean> {
    return this.#spec.process.pid() !== undefined;
  }
}
