/**
 * What each test server is, once: the image a container runs, the port it serves inside, the
 * flags every runtime passes, and the Kafka broker settings. The native processes
 * (`native/`), the containers (`container/`) and `docker-compose.test.yml` (`compose.ts`) are
 * all built from these, so the three cannot drift apart.
 */

/** The servers the suites can need, and the variable `scripts/services` exports for each. */
export const SERVER_ENV = {
  redis: 'REDIS_URL',
  memcached: 'MEMCACHED_SERVERS',
  kafka: 'KAFKA_BROKERS',
} as const;

export type ServerKind = keyof typeof SERVER_ENV;

export const SERVER_KINDS = Object.keys(SERVER_ENV) as ServerKind[];

/** Whether `name` is one of {@link SERVER_KINDS}. */
export function isServerKind(name: string): name is ServerKind {
  return Object.hasOwn(SERVER_ENV, name);
}

/** The parts of a server every runtime shares. */
export interface ServerDescriptor {
  kind: ServerKind;
  /** The image a container (testcontainers, compose) runs. */
  image: string;
  /** The server program, natively and as a container's command (none for Kafka: the image starts it). */
  program?: string;
  /** The port the server listens on inside its container (and in docker-compose.test.yml on the host). */
  containerPort: number;
  /** Flags every runtime passes; a runtime adds only where to listen (and, natively, where to keep state). */
  flags: readonly string[];
  /** The address a client gets for a server on `host:port`. */
  url(host: string, port: number): string;
}

export const REDIS: ServerDescriptor = {
  kind: 'redis',
  image: 'redis:7-alpine',
  program: 'redis-server',
  containerPort: 6379,
  // Nothing is persisted: no RDB snapshots, no AOF.
  flags: ['--save', '', '--appendonly', 'no'],
  url: (host, port) => `redis://${host}:${port}`,
};

/** The item size limit l2-memcached's `maxValueBytes` default matches (memcached's own default). */
export const MEMCACHED_ITEM_SIZE_LIMIT = '1m';

export const MEMCACHED: ServerDescriptor = {
  kind: 'memcached',
  image: 'memcached:1.6-alpine',
  program: 'memcached',
  containerPort: 11211,
  // 128 MB in memory, UDP off, an explicit item size limit.
  flags: ['-m', '128', '-U', '0', '-I', MEMCACHED_ITEM_SIZE_LIMIT],
  url: (host, port) => `${host}:${port}`,
};

export const KAFKA: ServerDescriptor = {
  kind: 'kafka',
  image: 'apache/kafka:4.1.0',
  containerPort: 9092,
  flags: [],
  url: (host, port) => `${host}:${port}`,
};

export const DESCRIPTORS: Record<ServerKind, ServerDescriptor> = {
  redis: REDIS,
  memcached: MEMCACHED,
  kafka: KAFKA,
};

/**
 * The single-node broker's settings (KRaft, broker and controller in one JVM) that do not
 * depend on where it listens. Natively they go to server.properties; a container gets them as
 * `KAFKA_*` environment variables (the apache/kafka image's convention).
 */
export const KAFKA_BROKER_SETTINGS: Readonly<Record<string, string>> = {
  'process.roles': 'broker,controller',
  'node.id': '1',
  'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
  'controller.listener.names': 'CONTROLLER',
  'inter.broker.listener.name': 'PLAINTEXT',
  // One node: every internal topic has one replica, and few partitions so first use is quick.
  'num.partitions': '1',
  'default.replication.factor': '1',
  'offsets.topic.replication.factor': '1',
  'offsets.topic.num.partitions': '4',
  'transaction.state.log.replication.factor': '1',
  'transaction.state.log.min.isr': '1',
  'transaction.state.log.num.partitions': '4',
  'share.coordinator.state.topic.replication.factor': '1',
  'share.coordinator.state.topic.min.isr': '1',
  'group.initial.rebalance.delay.ms': '0',
  // Clients create their topics explicitly; a typo must not silently create one.
  'auto.create.topics.enable': 'false',
  // Small segments and quick clean-up so delete-records and retention tests finish fast.
  'log.segment.bytes': '1048576',
  'log.retention.check.interval.ms': '5000',
  'log.segment.delete.delay.ms': '1000',
  'file.delete.delay.ms': '1000',
  'log.cleaner.dedupe.buffer.size': '8388608',
  // A test broker: few threads, modest memory.
  'num.network.threads': '2',
  'num.io.threads': '4',
  'background.threads': '4',
  'num.recovery.threads.per.data.dir': '1',
};

/**
 * The broker's listener settings for a broker that clients reach at `advertisedHost:port`,
 * listening on `bindHost` (empty: every interface, as in a container), with its controller on
 * `controllerPort`.
 */
export function kafkaListenerSettings(options: {
  bindHost: string;
  advertisedHost: string;
  port: number;
  advertisedPort: number;
  controllerHost: string;
  controllerPort: number;
}): Record<string, string> {
  const { bindHost, advertisedHost, port, advertisedPort, controllerHost, controllerPort } = options;
  return {
    'controller.quorum.voters': `1@${controllerHost}:${controllerPort}`,
    listeners: `PLAINTEXT://${bindHost}:${port},CONTROLLER://${bindHost}:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${advertisedHost}:${advertisedPort}`,
  };
}

/** Broker settings as the apache/kafka image reads them: `log.dirs` → `KAFKA_LOG_DIRS`. */
export function kafkaEnvironment(settings: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(settings).map(([key, value]) => [
      `KAFKA_${key.toUpperCase().replaceAll('.', '_')}`,
      value,
    ]),
  );
}

/** The whole environment of a broker container serving clients on the host at `127.0.0.1:hostPort`. */
export function kafkaContainerEnvironment(hostPort: number): Record<string, string> {
  return kafkaEnvironment({
    ...KAFKA_BROKER_SETTINGS,
    ...kafkaListenerSettings({
      bindHost: '',
      advertisedHost: '127.0.0.1',
      port: KAFKA.containerPort,
      advertisedPort: hostPort,
      controllerHost: 'localhost',
      controllerPort: 9093,
    }),
    'log.dirs': '/tmp/kraft-combined-logs',
  });
}
