import { hopping, json, quantiles, string, type Duration, type Sink, type StreamsApp } from '../../src/index.js';
import { TOPICS, type Alert, type Delivery, type LatencyStats, type LogLine, type RequestMetric, type ServiceHealth } from './events.js';
import { ErrorRateHysteresis, type HysteresisOptions } from './hysteresis.js';
import { webhookSender } from './webhook.js';

export interface MonitoringOptions {
  /** Sliding window: size and advance; default '1m' every '10s'. */
  readonly window?: Duration;
  readonly advance?: Duration;
  /** Default '15s': how far metrics and logs may arrive out of order. */
  readonly maxOutOfOrderness?: Duration;
  /** Default fire at 10 %, resolve at 5 %, judge windows of 20 requests or more. */
  readonly alerting?: HysteresisOptions;
  /** Where alerts are POSTed; no webhook when absent. */
  readonly webhookUrl?: string;
}

export const DEFAULT_ALERTING: HysteresisOptions = { fireAt: 0.1, resolveAt: 0.05, minRequests: 20 };

export interface MonitoringSinks {
  readonly latency: Sink<string, LatencyStats>;
  readonly health: Sink<string, ServiceHealth>;
  readonly alerts: Sink<string, Alert>;
  readonly deliveries: Sink<string, Delivery> | undefined;
}

/** What a request or a log line adds to a service's health window. */
interface Signal {
  requests: number;
  errors: number;
  errorLogs: number;
  /** [ts, message] of the earliest ERROR line. */
  sample: [number, string] | null;
}

const earlier = (a: [number, string] | null, b: [number, string] | null) =>
  a === null ? b : b === null ? a : a[0] < b[0] || (a[0] === b[0] && a[1] <= b[1]) ? a : b;

/**
 * Service monitoring over `requests` and `logs` (both keyed by service):
 * - `latency`: p50/p95/max latency per service over a sliding window (t-digest);
 * - `service-health`: requests, failures (5xx), error rate and ERROR log lines per service and window;
 * - `alerts`: error-rate alerts with hysteresis, one record when an alert fires and one when it resolves;
 * - `alert-deliveries`: the webhook's answer per alert (an HTTP POST each), when a webhook is configured.
 */
export function monitoring(app: StreamsApp, o: MonitoringOptions = {}): MonitoringSinks {
  const window = hopping(o.window ?? '1m', o.advance ?? '10s');
  const ooo = o.maxOutOfOrderness ?? '15s';
  const requests = app.stream(TOPICS.requests, { key: string(), value: json<RequestMetric>(), timestamp: (r) => r.ts, maxOutOfOrderness: ooo });
  const logs = app.stream(TOPICS.logs, { key: string(), value: json<LogLine>(), timestamp: (l) => l.ts, maxOutOfOrderness: ooo });

  const latency = requests
    .groupByKey()
    .window(window, { name: 'latency-window' })
    .aggregate(quantiles((r: RequestMetric) => r.latencyMs), { name: 'latency' })
    .toStream()
    .map((d, w) => {
      const stats: LatencyStats = { service: w.key, start: w.start, end: w.end, count: d.count, p50: d.quantile(0.5), p95: d.quantile(0.95), max: d.max };
      return [w.key, stats] as const;
    })
    .to(TOPICS.latency, { key: string(), value: json<LatencyStats>() });

  const signals = requests
    .mapValues((r): Signal => ({ requests: 1, errors: r.status >= 500 ? 1 : 0, errorLogs: 0, sample: null }))
    .merge(logs.mapValues((l): Signal => (l.level === 'ERROR' ? { requests: 0, errors: 0, errorLogs: 1, sample: [l.ts, l.message] } : { requests: 0, errors: 0, errorLogs: 0, sample: null })));

  const health = signals
    .groupByKey()
    .window(window, { name: 'health-window' })
    .aggregate(
      (): Signal => ({ requests: 0, errors: 0, errorLogs: 0, sample: null }),
      (a, s) => ({ requests: a.requests + s.requests, errors: a.errors + s.errors, errorLogs: a.errorLogs + s.errorLogs, sample: earlier(a.sample, s.sample) }),
      { name: 'health' },
    )
    .toStream()
    .map((a, w) => {
      const h: ServiceHealth = {
        service: w.key,
        start: w.start,
        end: w.end,
        requests: a.requests,
        errors: a.errors,
        errorRate: a.requests === 0 ? 0 : a.errors / a.requests,
        errorLogs: a.errorLogs,
        sampleError: a.sample ? a.sample[1] : null,
      };
      return [w.key, h] as const;
    });
  const healthSink = health.to(TOPICS.health, { key: string(), value: json<ServiceHealth>() });

  // Keyed by service again (the same key as the windows' key; the map above made it a plain string).
  const alerts = health.process(() => new ErrorRateHysteresis(o.alerting ?? DEFAULT_ALERTING), { name: 'error-rate-alerts' });
  const alertsSink = alerts.to(TOPICS.alerts, { key: string(), value: json<Alert>() });

  const deliveries = o.webhookUrl
    ? alerts
        .mapAsync(webhookSender({ url: o.webhookUrl }), { concurrency: 4, name: 'webhook' })
        .to(TOPICS.deliveries, { key: string(), value: json<Delivery>() })
    : undefined;

  return { latency, health: healthSink, alerts: alertsSink, deliveries };
}
