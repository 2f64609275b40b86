import { arrivalOrder } from '../shared/arrival.js';
import type { GeneratedRecord } from '../shared/log-io.js';
import { Random } from '../shared/random.js';
import { TOPICS, type LogLine, type RequestMetric } from './events.js';

export interface TelemetryOptions {
  readonly seed?: number;
  /** Event time of the first request; default 2024-01-01T00:00:00Z. */
  readonly start?: number;
  /** Mean event-time gap between two requests (all services), ms; default 50. */
  readonly meanGapMs?: number;
  /** An incident (one service failing and slow) starts about this often, ms of event time; default 4 min. */
  readonly incidentEveryMs?: number;
  readonly lateFraction?: number;
  /** Keep <= the app's maxOutOfOrderness; default 10 s. */
  readonly maxDelayMs?: number;
}

export const SERVICES = ['checkout', 'search', 'auth', 'catalog', 'payments'] as const;
const ENDPOINTS = ['/api/v1/list', '/api/v1/get', '/api/v1/update', '/healthz'];
const MEDIAN_MS = [80, 45, 20, 35, 120];
const ERROR_LINES = ['upstream timeout calling inventory', 'database connection refused', 'circuit breaker open', 'out of memory in worker pool'];
const INFO_LINES = ['request served', 'cache refreshed', 'config reloaded'];

/**
 * Deterministic telemetry of five services: request metrics (log-normal latencies, 1 % errors)
 * and log lines (an ERROR line per failed request, INFO and WARN chatter). Every few minutes an
 * incident hits one service for 1.5-3 minutes: 30 % of its requests fail and it slows down 4x.
 * Records come in arrival order, a fraction of them late.
 */
export function* telemetry(o: TelemetryOptions = {}): Generator<GeneratedRecord & { value: RequestMetric | LogLine }> {
  const random = new Random(o.seed ?? 2);
  const every = o.incidentEveryMs ?? 4 * 60_000;
  type Ev = { topic: string; value: RequestMetric | LogLine };
  function* ordered(): Generator<Ev> {
    let t = o.start ?? Date.UTC(2024, 0, 1);
    let incident = { service: -1, from: t + every / 2, to: t + every / 2 + 120_000 };
    for (;;) {
      t += Math.max(1, Math.round(random.exponential(o.meanGapMs ?? 50)));
      if (t >= incident.to) {
        const from = incident.to + Math.round(every * (0.5 + random.next()));
        incident = { service: random.int(SERVICES.length), from, to: from + random.between(90_000, 180_000) };
      }
      const s = random.int(SERVICES.length);
      const service = SERVICES[s]!;
      const bad = s === incident.service && t >= incident.from;
      const failed = random.chance(bad ? 0.3 : 0.01);
      const latencyMs = Math.round(MEDIAN_MS[s]! * Math.exp(0.5 * random.normal()) * (bad ? 4 : 1) * 10) / 10;
      yield { topic: TOPICS.requests, value: { service, endpoint: random.pick(ENDPOINTS), latencyMs, status: failed ? random.pick([500, 502, 503]) : 200, ts: t } };
      if (failed) yield { topic: TOPICS.logs, value: { service, level: 'ERROR', message: random.pick(ERROR_LINES), ts: t } };
      else if (random.chance(0.05)) yield { topic: TOPICS.logs, value: { service, level: random.chance(0.2) ? 'WARN' : 'INFO', message: random.pick(INFO_LINES), ts: t } };
    }
  }
  for (const e of arrivalOrder(ordered(), (x) => x.value.ts, random, { fraction: o.lateFraction ?? 0.05, maxDelayMs: o.maxDelayMs ?? 10_000 })) {
    yield { topic: e.topic, key: e.value.service, value: e.value, timestamp: e.value.ts };
  }
}
