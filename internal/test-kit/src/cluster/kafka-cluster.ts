import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventually } from '../eventually.js';
import { kafkaRecipe, keptClusterId } from '../native/kafka.js';
import type { NativeServer } from '../native/native-server.js';
import { withKafkaAdmin } from '../readiness.js';
import { repoRoot, servicesDir } from '../state.js';
import { NativeGroup, openNodes } from './native-group.js';

const run = promisify(execFile);

/** Options of {@link KafkaClusterGroup.open}. */
export interface KafkaClusterOptions {
  /** Where the cluster id and each node's ports, config, data, pid and log live. Default `.services/kafka-cluster`. */
  stateDir?: string;
  /** Nodes, each broker and controller in one JVM. Default 3. */
  size?: number;
  /** Java heap of each node. Default `384m`. */
  heap?: string;
}

/**
 * A Kafka cluster in KRaft mode on 127.0.0.1: `size` nodes that are each broker and controller.
 * Each node is a {@link NativeServer} in `node-<n>/` on the single broker's recipe (the Maven
 * Central jars `scripts/services/install.sh kafka` fetches) with the cluster's settings: node
 * ids, every node a voter, every topic replicated to 3 with `min.insync.replicas` 2 (so one node
 * may die without losing an entry produced with `acks=all`), a dead broker noticed in seconds.
 * The nodes share the cluster id kept in `cluster.id`.
 */
export class KafkaClusterGroup extends NativeGroup {
  readonly kind = 'kafka-cluster';

  /** The cluster kept in `stateDir` (ports and cluster id drawn on first use and kept), not started. */
  static async open(options: KafkaClusterOptions = {}): Promise<KafkaClusterGroup> {
    const stateDir = options.stateDir ?? join(servicesDir(), 'kafka-cluster');
    const size = options.size ?? 3;
    // Drawn now, so nodes formatting at once all read the same one.
    const clusterIdFile = join(stateDir, 'cluster.id');
    keptClusterId(clusterIdFile);
    const replicas = String(Math.min(3, size));
    const minIsr = String(Math.max(1, Math.min(3, size) - 1));
    const nodes: NativeServer[] = await openNodes(stateDir, size, (i) => ({
      ...kafkaRecipe({
        kind: 'kafka-cluster-node',
        heap: options.heap ?? '384m',
        clusterIdFile,
        startTimeoutMs: 120_000,
        // Read at start, when every node has its ports.
        settings: () => ({
          'node.id': String(i + 1),
          'controller.quorum.voters': nodes
            .map((n, j) => `${j + 1}@127.0.0.1:${n.ports.controller}`)
            .join(','),
          'default.replication.factor': replicas,
          'min.insync.replicas': minIsr,
          'offsets.topic.replication.factor': replicas,
          'transaction.state.log.replication.factor': replicas,
          'transaction.state.log.min.isr': minIsr,
          'share.coordinator.state.topic.replication.factor': replicas,
          'share.coordinator.state.topic.min.isr': minIsr,
          'unclean.leader.election.enable': 'false',
          // A dead broker is noticed in seconds, not the default 9 s (session) and 30 s (replica lag).
          'broker.session.timeout.ms': '4000',
          'broker.heartbeat.interval.ms': '1000',
          'replica.lag.time.max.ms': '5000',
          // Three JVMs on a small machine.
          'num.io.threads': '2',
          'background.threads': '2',
        }),
      }),
      // Nodes stopped together wait on each other's controlled shutdown: SIGKILL after 15 s.
      stopGraceMs: 15_000,
    }));
    return new KafkaClusterGroup(nodes);
  }

  /**
   * Fetches the jars (once), starts the nodes that are not running (each formats its log
   * directory on first start), and resolves once a client sees every broker.
   */
  override async start(): Promise<void> {
    await run('bash', [join(repoRoot(), 'scripts', 'services', 'install.sh'), 'kafka'], { timeout: 600_000 });
    await super.start();
    await eventually(async () => (await brokersSeen(this.urls.join(','))) === this.nodes.length, {
      timeoutMs: 120_000,
      intervalMs: 100,
      message: `the Kafka cluster to show ${this.nodes.length} brokers`,
    });
  }
}

/** How many brokers a client reaching `brokers` (comma-separated) sees; 0 when none answers. */
async function brokersSeen(brokers: string): Promise<number> {
  return withKafkaAdmin(
    brokers,
    3_000,
    async (admin) => (await admin.describeCluster()).brokers.length,
  ).catch(() => 0);
}
