import { rmSync } from 'node:fs';
import { FIGURES_FILE, printFiguresFile } from './figures.js';

/**
 * Vitest `globalSetup` for the `faults` project: starts each run with an empty
 * `reports/faults-figures.json` (so figures of scenarios that no longer exist do not linger)
 * and prints the whole suite's figures as one table when the run ends. Wire it in the root
 * config's `faults` project with `globalSetup: ['./figures-global-setup.ts']`.
 */
export default function setup(): () => void {
  rmSync(FIGURES_FILE, { force: true });
  return printFiguresFile;
}
