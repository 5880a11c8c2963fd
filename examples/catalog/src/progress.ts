/**
 * A progress bar on stderr: redrawn in place on a terminal, a line every 10 % otherwise
 * (CI logs), so the demo shows it is alive without flooding the log.
 */
export class ProgressBar {
  readonly #tty = process.stderr.isTTY === true;
  #lastDecile = -1;

  constructor(
    readonly total: number,
    readonly label: string,
  ) {}

  update(done: number): void {
    const ratio = Math.min(1, done / this.total);
    if (this.#tty) {
      const width = 30;
      const filled = Math.round(ratio * width);
      process.stderr.write(
        `\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ${done}/${this.total}`,
      );
      if (done >= this.total) process.stderr.write('\n');
      return;
    }
    const decile = Math.floor(ratio * 10);
    if (decile !== this.#lastDecile) {
      this.#lastDecile = decile;
      process.stderr.write(`${this.label} ${decile * 10}% (${done}/${this.total})\n`);
    }
  }
}
