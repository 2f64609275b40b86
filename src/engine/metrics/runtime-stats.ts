import { LatencyHistogram } from './latency-histogram.js';

/**
 * What a StreamsRuntime counts about itself, as plain numbers updated once per batch, commit or
 * restore step — never per record, never through a metrics library — and read by exporters
 * (the dashboard's Prometheus collectors and JSON API) when they are asked.
 */
export class RuntimeStats {
  /**
   * Processing time per record: a batch's wall-clock time in the tasks divided by its records,
   * recorded once per batch with the batch's size as weight (repartition topics' watermark
   * markers count as records here: the tasks handle them too).
   */
  readonly processingLatency = new LatencyHistogram();
  /**
   * End-to-end latency: wall-clock time when a batch is processed minus the record timestamp of
   * its newest record (its creation or append time), one observation per batch.
   */
  readonly endToEndLatency = new LatencyHistogram();
  /** Duration of each commit (flush stores, drain changelogs, commit the transaction). */
  readonly commitLatency = new LatencyHistogram();
  batches = 0;
  /** Task assignments: 1 once the runtime has assigned its tasks at start, +1 per later rebalance. */
  rebalances = 0;
  /** Changelog records to read to restore the stores (known once restore starts), and read so far. */
  restoreTotal = 0;
  restored = 0;
  restoreDone = false;
  restoreMs = 0;
  /** CPU time of the process when the runtime started (process.cpuUsage()), for events per CPU-second. */
  readonly startCpu = process.cpuUsage();

  /** One batch of `records` input records handed to the tasks in `ms`; `newestTimestamp`: the batch's last record's timestamp. */
  batch(records: number, ms: number, newestTimestamp: number, now: number): void {
    this.batches++;
    this.processingLatency.record(ms / Math.max(1, records), records);
    if (newestTimestamp > 0) this.endToEndLatency.record(Math.max(0, now - newestTimestamp));
  }
}
