import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import type { ServerGroup } from '../server-handle.js';
import { freePorts, NodeProcess, readState, waitUntil, writeState } from './node-process.js';
import { ProcessNode } from './process-node.js';
import { servicesDir } from './services-dir.js';

const run = promisify(execFile);
const SERVICES_SCRIPTS = fileURLToPath(new URL('../../../../scripts/services/', import.meta.url));

interface KafkaClusterState {
  clusterId: string;
  nodes: { port: number; controllerPort: number }[];
}

/** Options of {@link KafkaClusterGroup.open}. */
export interface KafkaClusterOptions {
  /** Where ports, the cluster id, configs, data, pids and logs live. Default `.services/kafka-cluster`. */
  stateDir?: string;
  /** Nodes, each broker and controller in one JVM. Default 3. */
  size?: number;
  /** Java heap of each node. Default `384m`. */
  heap?: string;
}

/**
 * A Kafka cluster in KRaft mode on 127.0.0.1: `size` nodes that are each broker and controller
 * (one JVM each, run from the Maven Central jars `scripts/services/install.sh kafka` keeps in
 * `scripts/services/kafka/libs`), every topic replicated to 3 with `min.insync.replicas` 2, so
 * one node may die without losing an entry produced with `acks=all`.
 */
export class KafkaClusterGroup implements ServerGroup {
  readonly kind = 'kafka-cluster';
  readonly nodes: readonly ProcessNode[];
  /** `127.0.0.1:PORT` of each broker (kafkajs' `brokers`). */
  readonly urls: readonly string[];
  readonly #stateDir: string;
  readonly #state: KafkaClusterState;
  readonly #heap: string;

  private constructor(stateDir: string, state: KafkaClusterState, heap: string) {
    this.#stateDir = stateDir;
    this.#state = state;
    this.#heap = heap;
    this.nodes = state.nodes.map(({ port }, i) => {
      const dir = this.#nodeDir(i);
      return new ProcessNode({
        kind: 'kafka-cluster-node',
        url: `127.0.0.1:${port}`,
        process: new NodeProcess({
          command: 'java',
          match: 'kafka.Kafka',
          pidFile: join(dir, 'pid'),
          logFile: join(dir, 'kafka.log'),
          args: () => [...this.#javaOptions(i), 'kafka.Kafka', join(dir, 'server.properties')],
        }),
        answers: () => brokersSeen(`127.0.0.1:${port}`).then((n) => n > 0),
        startTimeoutMs: 120_000,
      });
    });
    this.urls = this.nodes.map((n) => n.url);
  }

  /** The cluster kept in `stateDir` (ports and cluster id drawn on first use and kept), not started. */
  static async open(options: KafkaClusterOptions = {}): Promise<KafkaClusterGroup> {
    const stateDir = options.stateDir ?? join(servicesDir(), 'kafka-cluster');
    const size = options.size ?? 3;
    const file = join(stateDir, 'state.json');
    let state = readState<KafkaClusterState>(file);
    if (!state || state.nodes.length !== size) {
      const ports = await freePorts(size * 2);
      state = { clusterId: clusterId(), nodes: [] };
      for (let i = 0; i < size; i++) {
        state.nodes.push({ port: ports[i * 2] as number, controllerPort: ports[i * 2 + 1] as number });
      }
      writeState(file, state);
    }
    return new KafkaClusterGroup(stateDir, state, options.heap ?? '384m');
  }

  /**
   * Fetches the jars (once), formats each node's log directory (once), starts the nodes that
   * are not running, and resolves once a client sees every broker.
   */
  async start(): Promise<void> {
    await run('bash', [join(SERVICES_SCRIPTS, 'install.sh'), 'kafka'], { timeout: 600_000 });
    await Promise.all(
      this.nodes.map(async (node, i) => {
        this.#writeConfig(i);
        const dir = this.#nodeDir(i);
        if (!existsSync(join(dir, 'data', 'meta.properties'))) {
          await run(
            'java',
            [
              ...this.#javaOptions(i),
              'kafka.tools.StorageTool',
              'format',
              '-t',
              this.#state.clusterId,
              '-c',
              join(dir, 'server.properties'),
            ],
            { timeout: 120_000 },
          );
        }
        if (!(await node.running())) await node.start();
      }),
    );
    await waitUntil(
      async () => (await brokersSeen(this.urls.join(','))) === this.nodes.length,
      120_000,
      `the Kafka cluster did not show ${this.nodes.length} brokers`,
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }

  #nodeDir(i: number): string {
    return join(this.#stateDir, `node-${i + 1}`);
  }

  #javaOptions(i: number): string[] {
    // biome-ignore format: one option a line
    return [
      '-Xms128m', `-Xmx${this.#heap}`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${join(this.#nodeDir(i), 'log4j2.properties')}`,
      '-cp', join(SERVICES_SCRIPTS, 'kafka', 'libs', '*'),
    ];
  }

  #writeConfig(i: number): void {
    const dir = this.#nodeDir(i);
    mkdirSync(dir, { recursive: true });
    const self = this.#state.nodes[i]!;
    const voters = this.#state.nodes.map((n, j) => `${j + 1}@127.0.0.1:${n.controllerPort}`).join(',');
    const replicas = Math.min(3, this.#state.nodes.length);
    const minIsr = Math.max(1, replicas - 1);
    writeFileSync(
      join(dir, 'server.properties'),
      `# Written by the test kit's KafkaClusterGroup on every start.
process.roles=broker,controller
node.id=${i + 1}
controller.quorum.voters=${voters}
listeners=PLAINTEXT://127.0.0.1:${self.port},CONTROLLER://127.0.0.1:${self.controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${self.port}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=${join(dir, 'data')}

# Every topic on ${replicas} brokers; an acks=all write needs ${minIsr} of them in sync.
num.partitions=1
default.replication.factor=${replicas}
min.insync.replicas=${minIsr}
offsets.topic.replication.factor=${replicas}
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=${replicas}
transaction.state.log.min.isr=${minIsr}
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=${replicas}
share.coordinator.state.topic.min.isr=${minIsr}
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
unclean.leader.election.enable=false

# A dead broker is noticed in seconds, not the default 9 s (session) and 30 s (replica lag).
broker.session.timeout.ms=4000
broker.heartbeat.interval.ms=1000
replica.lag.time.max.ms=5000

log.segment.bytes=1048576
log.retention.check.interval.ms=5000
num.network.threads=2
num.io.threads=2
background.threads=2
num.recovery.threads.per.data.dir=1
`,
    );
    writeFileSync(
      join(dir, 'log4j2.properties'),
      `status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.out.ref = out
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = INFO
`,
    );
  }
}

/** A KRaft cluster id (a base64url UUID) that does not start with '-', which the storage tool would read as an option. */
function clusterId(): string {
  let id: string;
  do id = randomBytes(16).toString('base64url');
  while (!/^[A-Za-z0-9]/.test(id));
  return id;
}

/** How many brokers a client reaching `brokers` (comma-separated) sees; 0 when none answers. */
async function brokersSeen(brokers: string): Promise<number> {
  const kafka = new Kafka({
    clientId: 'tiercache-test-kit',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    return (await admin.describeCluster()).brokers.length;
  } catch {
    return 0;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
