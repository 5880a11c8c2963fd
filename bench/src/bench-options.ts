/** Command-line options of the benchmark. */

/** How long and how often each scenario is measured. */
export interface BenchOptions {
  /** `--quick`: fewer, shorter rounds (the whole run stays under 3 minutes). */
  quick: boolean;
  /** Rounds per scenario; the median is reported. */
  rounds: number;
  /** Length of one timed round of a time-bounded loop, in ms. */
  roundMs: number;
  /** Keys written then read once in the L2-hit scenarios. */
  l2Keys: number;
  /** Scenario numbers to run (`--only 1,3`); all when empty. */
  only: ReadonlySet<number>;
  /** Where results are written. */
  resultsDir: string;
  /** `--no-write`: print only (profiling runs). */
  write: boolean;
}

const USAGE = `usage: node bench/dist/main.js [--quick] [--rounds N] [--only 1,2,...] [--no-write]
  --quick       3 short rounds per scenario, 5000 keys in scenario 3 (under 3 minutes in all)
  --rounds N    rounds per scenario (default 5, or 3 with --quick); the median is reported
  --only LIST   run only these scenarios (1-10)
  --no-write    print the table, write nothing under bench/results`;

/** Parse `argv` (without node and the script); throws with the usage on a bad flag. */
export function parseBenchOptions(argv: readonly string[], resultsDir: string): BenchOptions {
  let quick = false;
  let rounds: number | undefined;
  let write = true;
  const only = new Set<number>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') quick = true;
    else if (arg === '--no-write') write = false;
    else if (arg === '--rounds') {
      rounds = Number(argv[++i]);
      if (!Number.isInteger(rounds) || rounds < 1)
        throw new Error(`--rounds needs a whole number >= 1\n${USAGE}`);
    } else if (arg === '--only') {
      for (const part of (argv[++i] ?? '').split(',')) {
        const n = Number(part);
        if (!Number.isInteger(n) || n < 1 || n > 10)
          throw new Error(`--only takes scenario numbers 1-10\n${USAGE}`);
        only.add(n);
      }
    } else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument "${arg}"\n${USAGE}`);
  }
  return {
    quick,
    rounds: rounds ?? (quick ? 3 : 5),
    roundMs: quick ? 250 : 1000,
    // Fewer keys with --quick: scenario 3 writes them once per contender before it reads.
    l2Keys: quick ? 5_000 : 20_000,
    only,
    resultsDir,
    write,
  };
}
