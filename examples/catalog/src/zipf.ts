/**
 * A Zipf-like sampler over ids 1..n: id k is drawn with probability proportional to 1/k^s,
 * so a few products get most of the traffic, as in a real catalog.
 */
export class ZipfSampler {
  readonly #cdf: Float64Array;

  constructor(n: number, s = 1.1) {
    this.#cdf = new Float64Array(n);
    let sum = 0;
    for (let k = 1; k <= n; k++) {
      sum += 1 / k ** s;
      this.#cdf[k - 1] = sum;
    }
    for (let i = 0; i < n; i++) this.#cdf[i]! /= sum;
  }

  /** One id in 1..n. */
  next(): number {
    const u = Math.random();
    let lo = 0;
    let hi = this.#cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  }
}
