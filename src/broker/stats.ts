/** Upper bounds (ms) of the request-latency buckets exported to Prometheus. */
export const REQUEST_LATENCY_BUCKETS_MS: readonly number[] = [0.1, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 5000, 30_000];

/** One API's requests: how many, how many failed (connection dropped), and their latency distribution. */
export interface ApiRequestStats {
  count: number;
  failed: number;
  latencySumMs: number;
  /** Per bucket of REQUEST_LATENCY_BUCKETS_MS, plus one for +Inf; not cumulative. */
  readonly latencyCounts: Float64Array;
}

/**
 * What the broker counts about its traffic, as plain numbers updated once per request or socket
 * chunk (never per record) and read by exporters (the dashboard's /metrics) when asked.
 */
export class BrokerStats {
  /** Indexed by api key. */
  readonly requests: (ApiRequestStats | undefined)[] = [];
  bytesIn = 0;
  bytesOut = 0;
  connectionsAccepted = 0;

  /** A request of `apiKey` answered (or failed) after `ms` milliseconds. */
  request(apiKey: number, ms: number, failed: boolean): void {
    let s = this.requests[apiKey];
    if (s === undefined) this.requests[apiKey] = s = { count: 0, failed: 0, latencySumMs: 0, latencyCounts: new Float64Array(REQUEST_LATENCY_BUCKETS_MS.length + 1) };
    s.count++;
    if (failed) s.failed++;
    s.latencySumMs += ms;
    let i = 0;
    while (i < REQUEST_LATENCY_BUCKETS_MS.length && ms > REQUEST_LATENCY_BUCKETS_MS[i]!) i++;
    s.latencyCounts[i]!++;
  }
}
