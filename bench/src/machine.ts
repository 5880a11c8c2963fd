/** What the figures were measured on: the machine, Node, and the versions of every package compared. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The machine and software of a run. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  /** 1-minute load average at the start: a busy machine explains noisy figures. */
  loadAtStart: number;
  /** `git rev-parse --short HEAD` plus `-dirty` when the tree has changes, or `unknown`. */
  commit: string;
  /** Package name → version, for tiercache's packages and every peer and raw client. */
  packages: Record<string, string>;
}

const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

const COMPARED = [
  '@tiercache/core',
  '@tiercache/l1-lru',
  '@tiercache/l2-redis',
  '@tiercache/l2-memcached',
  '@tiercache/stream-redis',
  '@tiercache/stream-kafka',
  'bentocache',
  'cache-manager',
  'cacheable',
  'keyv',
  '@keyv/redis',
  'lru-cache',
  'ioredis',
  'memjs',
  'kafkajs',
];

function packageVersion(name: string): string {
  try {
    const json = JSON.parse(readFileSync(join(BENCH_DIR, 'node_modules', name, 'package.json'), 'utf8')) as {
      version?: string;
    };
    return json.version ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: BENCH_DIR,
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: BENCH_DIR, encoding: 'utf8' }).trim();
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return 'unknown';
  }
}

/** Describe this machine now. */
export function describeMachine(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAtStart: os.loadavg()[0] ?? 0,
    commit: gitCommit(),
    packages: Object.fromEntries(COMPARED.map((name) => [name, packageVersion(name)])),
  };
}

/** The bench folder (results are written under it). */
export const benchDir = BENCH_DIR;
