/** What the monitoring example reads and writes. */

/** One served request, as a service's metrics exporter reports it (keyed by service). */
export interface RequestMetric {
  readonly service: string;
  readonly endpoint: string;
  readonly latencyMs: number;
  readonly status: number;
  readonly ts: number;
}

/** One log line of a service (keyed by service). */
export interface LogLine {
  readonly service: string;
  readonly level: 'INFO' | 'WARN' | 'ERROR';
  readonly message: string;
  readonly ts: number;
}

/** Latency quantiles of a service over one sliding window. */
export interface LatencyStats {
  readonly service: string;
  readonly start: number;
  readonly end: number;
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

/** Requests, failures and error log lines of a service over one sliding window. */
export interface ServiceHealth {
  readonly service: string;
  readonly start: number;
  readonly end: number;
  readonly requests: number;
  readonly errors: number;
  readonly errorRate: number;
  readonly errorLogs: number;
  /** The earliest ERROR line of the window (ties: the smallest text), as context for the alert. */
  readonly sampleError: string | null;
}

/** A state change of an error-rate alert: it fires once, and resolves once. */
export interface Alert {
  /** Stable across re-deliveries: `<service>/error-rate/<end of the window that fired it>`. */
  readonly id: string;
  readonly service: string;
  readonly state: 'firing' | 'resolved';
  readonly errorRate: number;
  readonly requests: number;
  readonly errorLogs: number;
  readonly sampleError: string | null;
  /** The window whose error rate changed the state. */
  readonly windowStart: number;
  readonly windowEnd: number;
}

/** The webhook's answer to one alert. */
export interface Delivery {
  readonly id: string;
  readonly state: Alert['state'];
  readonly status: number;
  readonly attempts: number;
}

export const TOPICS = {
  requests: 'requests',
  logs: 'logs',
  latency: 'latency',
  health: 'service-health',
  alerts: 'alerts',
  deliveries: 'alert-deliveries',
} as const;
