import type { ContainerRuntimeClient, StartedTestContainer } from 'testcontainers';
import { containerCommand } from '../compose.js';
import { freePort } from '../native/process.js';
import { waitUntilReady } from '../readiness.js';
import type { ServerHandle } from '../server-handle.js';
import { DESCRIPTORS, kafkaContainerEnvironment, type ServerKind } from '../servers.js';

/** The Docker API's handle on one container (dockerode's, as testcontainers exposes it). */
type Container = ReturnType<ContainerRuntimeClient['container']['getById']>;

/** How long a container's server may take to answer after a start. */
const READY_TIMEOUT_MS = 120_000;

/**
 * A server in a container (testcontainers), for people with Docker. The image, command and
 * Kafka settings come from the same descriptors as the native servers and
 * docker-compose.test.yml. The host port is fixed when the container is created, so `url`
 * stays the same across `stop`/`start`/`kill`; `freeze` pauses the container (the cgroup
 * freezer: the same "accepts, answers nothing" as SIGSTOP). testcontainers' reaper removes the
 * container when the test process exits; {@link remove} does it at once.
 *
 * Loaded only when Docker is reachable (a dynamic import), so machines without Docker never
 * load testcontainers.
 */
export class ContainerServer implements ServerHandle {
  readonly kind: ServerKind;
  readonly url: string;
  readonly #started: StartedTestContainer;
  readonly #container: Container;

  private constructor(kind: ServerKind, url: string, started: StartedTestContainer, container: Container) {
    this.kind = kind;
    this.url = url;
    this.#started = started;
    this.#container = container;
  }

  /** Create and start a `kind` container; resolves once a real client gets an answer. */
  static async create(kind: ServerKind): Promise<ContainerServer> {
    const { GenericContainer, getContainerRuntimeClient } = await import('testcontainers');
    const descriptor = DESCRIPTORS[kind];
    const hostPort = await freePort();
    let container = new GenericContainer(descriptor.image).withExposedPorts({
      container: descriptor.containerPort,
      host: hostPort,
    });
    const command = containerCommand(descriptor);
    if (command) container = container.withCommand(command);
    // The broker tells clients where to reconnect: the host side of the port binding.
    if (kind === 'kafka') container = container.withEnvironment(kafkaContainerEnvironment(hostPort));
    const started = await container.start();
    const host = kind === 'kafka' ? '127.0.0.1' : started.getHost();
    const client = await getContainerRuntimeClient();
    const server = new ContainerServer(
      kind,
      descriptor.url(host, hostPort),
      started,
      client.container.getById(started.getId()),
    );
    await server.#waitReady();
    return server;
  }

  async running(): Promise<boolean> {
    const { State } = await this.#container.inspect();
    return State.Running;
  }

  async start(): Promise<void> {
    if (!(await this.running())) await this.#container.start();
    await this.#waitReady();
  }

  async stop(): Promise<void> {
    if (await this.running()) await this.#container.stop({ t: 15 });
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async freeze(): Promise<void> {
    await this.#container.pause();
  }

  async resume(): Promise<void> {
    const { State } = await this.#container.inspect();
    if (State.Paused) await this.#container.unpause();
  }

  async kill(): Promise<void> {
    await this.#container.kill({ signal: 'SIGKILL' });
  }

  /** Remove the container now instead of when the test process exits. */
  async remove(): Promise<void> {
    await this.resume();
    await this.#started.stop();
  }

  #waitReady(): Promise<void> {
    return waitUntilReady(this.kind, this.url, { timeoutMs: READY_TIMEOUT_MS, intervalMs: 300 });
  }
}
