import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventually } from '../eventually.js';
import { type NativeServer, withArgs } from '../native/native-server.js';
import { REDIS_RECIPE } from '../native/redis.js';
import { servicesDir } from '../state.js';
import { NativeGroup, openNodes } from './native-group.js';

const run = promisify(execFile);

/** Options of {@link RedisClusterGroup.open}. */
export interface RedisClusterOptions {
  /** Where each node's ports, nodes.conf, pid and log live. Default `.services/redis-cluster`. */
  stateDir?: string;
  /** Masters; each gets one replica. Default 3. */
  masters?: number;
  /**
   * `cluster-node-timeout`, ms: how long a master may be unreachable before its replica takes
   * over. Default 2000 (Redis' default is 15000; a test wants a failover in seconds).
   */
  nodeTimeoutMs?: number;
}

/** A node's role as the cluster sees it now. */
export interface RedisClusterNodeInfo {
  node: NativeServer;
  role: 'master' | 'replica';
  /** Hash slots served, for a master. */
  slots: number;
}

/**
 * A Redis Cluster on 127.0.0.1: `masters` masters and as many replicas (`redis-cli --cluster
 * create --cluster-replicas 1`). Each node is a {@link NativeServer} in `node-<n>/`: the single
 * server's recipe plus the cluster flags, its client and bus ports kept there (never moved: the
 * cluster's nodes.conf files name them), so a node restarted after a kill rejoins (as a replica
 * of whoever took over its slots). Nothing is persisted besides nodes.conf.
 */
export class RedisClusterGroup extends NativeGroup {
  readonly kind = 'redis-cluster';
  /** The env file {@link RedisClusterGroup.start} writes (`REDIS_CLUSTER_NODES`). */
  readonly envFile: string;
  readonly #masters: number;

  private constructor(stateDir: string, nodes: NativeServer[], masters: number) {
    super(nodes);
    this.#masters = masters;
    this.envFile = `${stateDir}.env`;
  }

  /** The group kept in `stateDir` (ports drawn on first use and kept), not started. */
  static async open(options: RedisClusterOptions = {}): Promise<RedisClusterGroup> {
    const stateDir = options.stateDir ?? join(servicesDir(), 'redis-cluster');
    const masters = options.masters ?? 3;
    const nodeTimeoutMs = options.nodeTimeoutMs ?? 2000;
    const recipe = withArgs(
      REDIS_RECIPE,
      // biome-ignore format: one flag and its value a line
      ({ stateDir: dir, ports }) => [
        '--cluster-enabled', 'yes',
        '--cluster-port', String(ports.bus),
        '--cluster-config-file', join(dir, 'nodes.conf'),
        '--cluster-node-timeout', String(nodeTimeoutMs),
        // A replica syncs at once instead of waiting 5 s for more replicas to join.
        '--repl-diskless-sync', 'yes',
        '--repl-diskless-sync-delay', '0',
        '--maxmemory', '64mb',
      ],
      { kind: 'redis-cluster-node', extraPorts: ['bus'], portMayMove: false },
    );
    return new RedisClusterGroup(stateDir, await openNodes(stateDir, masters * 2, () => recipe), masters);
  }

  /** Startup nodes for ioredis' `Cluster`: `{ host, port }` of every node. */
  get startupNodes(): { host: string; port: number }[] {
    return this.nodes.map((n) => ({ host: '127.0.0.1', port: n.port }));
  }

  /**
   * Starts the nodes that are not running, creates the cluster when no slot is assigned yet,
   * and resolves once every slot is served and every master has a linked replica.
   */
  override async start(): Promise<void> {
    await super.start();
    const info = await clusterInfo(this.nodes[0]!.port);
    if (info.cluster_slots_assigned === '0') {
      // A fresh (or half-created) cluster: forget what each node knew, then create it.
      await Promise.all(this.nodes.map((n) => cli(n.port, 'CLUSTER', 'RESET', 'HARD')));
      const addresses = this.nodes.map((n) => `127.0.0.1:${n.port}`);
      await run(
        'redis-cli',
        ['--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes'],
        { timeout: 60_000 },
      );
    }
    await eventually(() => this.healthy(), {
      timeoutMs: 60_000,
      intervalMs: 100,
      message: 'the Redis Cluster to become healthy',
    });
  }

  /** Every running node sees all slots served, and every master has a replica in sync. */
  async healthy(): Promise<boolean> {
    const roles = await this.roles();
    const masters = roles.filter((r) => r.role === 'master' && r.slots > 0);
    if (masters.length !== this.#masters) return false;
    for (const node of this.nodes) {
      if (!(await node.running())) continue;
      const info = await clusterInfo(node.port);
      if (info.cluster_state !== 'ok' || info.cluster_slots_ok !== '16384') return false;
    }
    for (const replica of roles.filter((r) => r.role === 'replica')) {
      const replication = await cli(replica.node.port, 'INFO', 'replication');
      if (!replication.includes('master_link_status:up')) return false;
    }
    return true;
  }

  /** The role of each running node, as the first answering node's `CLUSTER NODES` says. */
  async roles(): Promise<RedisClusterNodeInfo[]> {
    let lines: string[] | undefined;
    for (const node of this.nodes) {
      try {
        lines = (await cli(node.port, 'CLUSTER', 'NODES')).split('\n').filter(Boolean);
        break;
      } catch {
        // try the next node
      }
    }
    if (!lines) throw new Error('no node of the Redis Cluster answers');
    const result: RedisClusterNodeInfo[] = [];
    for (const line of lines) {
      const [, address, flags, , , , , link, ...slots] = line.split(' ');
      if (!address || !flags || flags.includes('fail') || link !== 'connected') continue;
      const port = Number(address.split('@')[0]?.split(':')[1]);
      const node = this.nodes.find((n) => n.port === port);
      if (!node) continue;
      result.push({
        node,
        role: flags.includes('master') ? 'master' : 'replica',
        slots: slots.reduce((sum, range) => {
          const [from, to] = range.split('-').map(Number);
          return range.startsWith('[') ? sum : sum + ((to ?? from ?? 0) - (from ?? 0) + 1);
        }, 0),
      });
    }
    return result;
  }

  /** The masters serving slots now. */
  async masters(): Promise<NativeServer[]> {
    return (await this.roles()).filter((r) => r.role === 'master' && r.slots > 0).map((r) => r.node);
  }
}

/** One redis-cli command against 127.0.0.1:`port`; resolves its trimmed output. */
async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    timeout: 3000,
  });
  return stdout.trim();
}

async function clusterInfo(port: number): Promise<Record<string, string>> {
  const text = await cli(port, 'CLUSTER', 'INFO');
  return Object.fromEntries(
    text
      .split(/\r?\n/)
      .map((line) => line.split(':'))
      .filter((pair): pair is [string, string] => pair.length === 2),
  );
}
