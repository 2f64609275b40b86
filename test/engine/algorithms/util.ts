/** Helpers for the stream-algorithm tests: a seeded PRNG and exact reference answers. */

export { rng } from '../../support/rng.js';

/** A Zipf(s) sampler over items 0..n-1 (item 0 most frequent), by inverting the CDF. */
export function zipf(n: number, s: number, random: () => number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / (i + 1) ** s;
  for (let i = 0; i < n; i++) cdf[i]! /= sum;
  return () => {
    const u = random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** Exact counts of the items of a stream. */
export function counts<T>(items: Iterable<T>, weight: (x: T) => number = () => 1): Map<T, number> {
  const m = new Map<T, number>();
  for (const x of items) m.set(x, (m.get(x) ?? 0) + weight(x));
  return m;
}

/**
 * The rank interval of v in sorted data: [fraction of values < v, fraction <= v]. A quantile
 * estimate v for q has rank error max(0, lo - q, q - hi).
 */
export function rankError(sorted: Float64Array, v: number, q: number): number {
  const below = lowerBound(sorted, v);
  let atOrBelow = below;
  while (atOrBelow < sorted.length && sorted[atOrBelow] === v) atOrBelow++;
  const lo = below / sorted.length;
  const hi = atOrBelow / sorted.length;
  return Math.max(0, lo - q, q - hi);
}

function lowerBound(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Folds values through an aggregator's init/add. */
export function fold<V, A>(agg: { init: () => A; add: (acc: A, v: V) => A }, values: Iterable<V>, from?: A): A {
  let acc = from ?? agg.init();
  for (const v of values) acc = agg.add(acc, v);
  return acc;
}
