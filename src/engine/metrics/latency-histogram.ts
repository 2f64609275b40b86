import { build, type Histogram } from 'hdr-histogram-js';

/** Upper bounds (ms) of the cumulative buckets exported to Prometheus. */
export const LATENCY_BUCKETS_MS: readonly number[] = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000];

/** Percentiles of the values recorded since the previous window was taken. */
export interface LatencyWindow {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * A latency distribution recorded once per batch (never per record): cumulative bucket counts
 * and a sum, which Prometheus scrapes as a histogram, and an HDR histogram of the current window
 * (microsecond resolution, 2 significant digits) from which the dashboard takes p50/p95/p99 once
 * a second. `record` is a loop over 18 bounds and one HDR increment: cheap enough per batch.
 */
export class LatencyHistogram {
  /** counts[i]: values <= LATENCY_BUCKETS_MS[i] (not cumulative; the exporter accumulates). */
  readonly counts = new Float64Array(LATENCY_BUCKETS_MS.length + 1);
  sum = 0;
  count = 0;
  private readonly window: Histogram = build({ bitBucketSize: 32, autoResize: true, numberOfSignificantValueDigits: 2, useWebAssembly: false });

  /** One observation of `ms` milliseconds, `weight` times (e.g. a batch's latency for each of its records). */
  record(ms: number, weight = 1): void {
    if (!(ms >= 0)) ms = 0;
    let i = 0;
    while (i < LATENCY_BUCKETS_MS.length && ms > LATENCY_BUCKETS_MS[i]!) i++;
    this.counts[i]! += weight;
    this.sum += ms * weight;
    this.count += weight;
    this.window.recordValueWithCount(Math.round(ms * 1000), weight);
  }

  /** The current window's percentiles (ms), then a new window. One reader (the dashboard's sampler). */
  takeWindow(): LatencyWindow {
    const h = this.window;
    const count = h.totalCount;
    const out: LatencyWindow =
      count === 0
        ? { count: 0, p50: 0, p95: 0, p99: 0, max: 0 }
        : {
            count,
            p50: h.getValueAtPercentile(50) / 1000,
            p95: h.getValueAtPercentile(95) / 1000,
            p99: h.getValueAtPercentile(99) / 1000,
            max: h.maxValue / 1000,
          };
    h.reset();
    return out;
  }
}
