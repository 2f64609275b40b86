import { Registry, collectDefaultMetrics } from 'prom-client';
import { LATENCY_BUCKETS_MS } from '../engine/metrics/latency-histogram.js';
import type { AppSnapshot, LatencySnapshot } from '../engine/metrics/snapshot.js';
import { REQUEST_LATENCY_BUCKETS_MS } from '../broker/stats.js';
import { ApiKeys } from '../protocol/api-keys.js';
import type { BrokerSnapshot } from './sources.js';

type Labels = Record<string, string | number>;
interface Value {
  readonly value: number;
  readonly labels: Labels;
  readonly metricName?: string;
}
interface Snapshots {
  readonly app: AppSnapshot | undefined;
  readonly broker: BrokerSnapshot | undefined;
}

const API_NAMES = new Map<number, string>(Object.entries(ApiKeys).map(([name, key]) => [key, name]));

/**
 * A metric read at scrape time: prom-client calls get(), which turns the scrape's snapshot into
 * samples. Nothing is recorded through prom-client while the pipeline runs; the engine and the
 * broker count in plain number fields and this reads them (the cheapest instrumentation there is).
 */
class ScrapedMetric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
    private readonly read: (s: Snapshots) => Value[],
    private readonly current: () => Snapshots,
  ) {}
  readonly aggregator = 'sum';
  get(): { name: string; help: string; type: string; values: Value[]; aggregator: string } {
    return { name: this.name, help: this.help, type: this.type, values: this.read(this.current()), aggregator: this.aggregator };
  }
  reset(): void {}
}

/** Prometheus histogram samples (_bucket with cumulative counts, _sum, _count) from bucket counts. */
function histogram(name: string, bounds: readonly number[], h: LatencySnapshot, labels: Labels): Value[] {
  const out: Value[] = [];
  let acc = 0;
  bounds.forEach((le, i) => {
    acc += h.counts[i] ?? 0;
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: acc });
  });
  acc += h.counts[bounds.length] ?? 0;
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: acc });
  out.push({ metricName: `${name}_sum`, labels, value: h.sum });
  out.push({ metricName: `${name}_count`, labels, value: h.count });
  return out;
}

/**
 * The `/metrics` endpoint: per application, task, operator, input partition and store, and per
 * broker API, read from one snapshot per scrape; plus Node's process metrics (CPU, memory,
 * event-loop lag) from prom-client's defaults.
 */
export class PrometheusExporter {
  readonly registry = new Registry();
  private current: Snapshots = { app: undefined, broker: undefined };

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const now = () => this.current;
    const app = (name: string, help: string, type: 'counter' | 'gauge' | 'histogram', read: (a: AppSnapshot) => Value[]) =>
      this.registry.registerMetric(new ScrapedMetric(name, help, type, (s) => (s.app ? read(s.app) : []), now) as never);
    const broker = (name: string, help: string, type: 'counter' | 'gauge' | 'histogram', read: (b: BrokerSnapshot) => Value[]) =>
      this.registry.registerMetric(new ScrapedMetric(name, help, type, (s) => (s.broker ? read(s.broker) : []), now) as never);

    const perTask = (a: AppSnapshot, f: (t: AppSnapshot['tasks'][number]) => number | null): Value[] =>
      a.tasks.flatMap((t) => {
        const v = f(t);
        return v === null ? [] : [{ labels: { application: a.applicationId, task: t.id }, value: v }];
      });
    app('tributary_records_in_total', 'Input records processed, per task', 'counter', (a) => perTask(a, (t) => t.recordsIn));
    app('tributary_records_out_total', 'Records written, per output topic (outputs, repartition and dead-letter topics)', 'counter', (a) =>
      a.outputs.map((o) => ({ labels: { application: a.applicationId, topic: o.topic }, value: o.records })),
    );
    app('tributary_operator_records_out_total', 'Records an operator passed downstream, per task', 'counter', (a) =>
      a.tasks.flatMap((t) => t.operators.map((o) => ({ labels: { application: a.applicationId, task: t.id, operator: o.name }, value: o.recordsOut }))),
    );
    app('tributary_late_records_total', 'Records that arrived after their windows closed, per task', 'counter', (a) => perTask(a, (t) => t.lateRecords));
    app('tributary_dead_lettered_records_total', 'Records sent to the dead-letter topic, per task', 'counter', (a) => perTask(a, (t) => t.deadLettered));
    app('tributary_watermark_ms', 'Event-time watermark of each task (ms since the epoch)', 'gauge', (a) => perTask(a, (t) => t.watermark));
    app('tributary_watermark_lag_ms', 'Wall-clock time minus the task watermark (ms)', 'gauge', (a) => perTask(a, (t) => t.watermarkLagMs));
    app('tributary_input_watermark_ms', 'Watermark of each input partition a task reads (ms since the epoch)', 'gauge', (a) =>
      a.tasks.flatMap((t) => t.inputs.flatMap((i) => (i.watermark === null ? [] : [{ labels: { application: a.applicationId, task: t.id, topic: i.topic, partition: t.partition }, value: i.watermark }]))),
    );
    const perPartition = (a: AppSnapshot, f: (p: AppSnapshot['partitions'][number]) => number): Value[] =>
      a.partitions.map((p) => ({ labels: { application: a.applicationId, topic: p.topic, partition: p.partition }, value: f(p) }));
    app('tributary_consumer_lag_records', 'Records in an input partition not processed yet (end offset - position)', 'gauge', (a) => perPartition(a, (p) => p.lag));
    app('tributary_consumer_position', 'Offset after the last processed record of an input partition', 'gauge', (a) => perPartition(a, (p) => p.processed));
    app('tributary_consumer_committed_offset', 'Committed offset of an input partition (-1: none)', 'gauge', (a) => perPartition(a, (p) => p.committed));
    app('tributary_input_partition_records_in_total', 'Records read from an input partition', 'counter', (a) => perPartition(a, (p) => p.recordsIn));
    const perStore = (a: AppSnapshot, f: (s: AppSnapshot['tasks'][number]['stores'][number]) => number): Value[] =>
      a.tasks.flatMap((t) => t.stores.map((s) => ({ labels: { application: a.applicationId, task: t.id, store: s.name }, value: f(s) })));
    app('tributary_state_store_entries', 'Entries in a state store, per task', 'gauge', (a) => perStore(a, (s) => s.entries));
    app('tributary_state_store_bytes', 'Bytes of keys and values in a state store, per task (exact up to 1,000 entries, then extrapolated from the first 1,000)', 'gauge', (a) => perStore(a, (s) => s.bytes));
    const one = (a: AppSnapshot, v: number): Value[] => [{ labels: { application: a.applicationId }, value: v }];
    app('tributary_commits_total', 'Commits (transactions under exactly-once)', 'counter', (a) => one(a, a.commits));
    app('tributary_batches_total', 'Batches handed to the tasks', 'counter', (a) => one(a, a.batches));
    app('tributary_rebalances_total', 'Task assignments (1 after start, +1 per rebalance)', 'counter', (a) => one(a, a.rebalances));
    app('tributary_restore_records_total', 'Changelog records to restore at start', 'gauge', (a) => one(a, a.restore.total));
    app('tributary_restored_records', 'Changelog records restored so far', 'gauge', (a) => one(a, a.restore.restored));
    app('tributary_restore_done', '1 once the stores are restored and processing runs', 'gauge', (a) => one(a, a.restore.done ? 1 : 0));
    app('tributary_app_cpu_seconds_total', 'CPU seconds used by the process since the application started', 'counter', (a) => one(a, a.cpuSeconds));
    app('tributary_processing_latency_ms', 'Processing time per record, measured per batch (batch time / records, weighted by records)', 'histogram', (a) =>
      histogram('tributary_processing_latency_ms', LATENCY_BUCKETS_MS, a.latency.processing, { application: a.applicationId }),
    );
    app('tributary_end_to_end_latency_ms', 'Wall clock at processing minus the record timestamp of each batch\'s newest record', 'histogram', (a) =>
      histogram('tributary_end_to_end_latency_ms', LATENCY_BUCKETS_MS, a.latency.endToEnd, { application: a.applicationId }),
    );
    app('tributary_commit_duration_ms', 'Duration of a commit (flush, changelogs, transaction)', 'histogram', (a) =>
      histogram('tributary_commit_duration_ms', LATENCY_BUCKETS_MS, a.latency.commit, { application: a.applicationId }),
    );

    const perApi = (b: BrokerSnapshot, f: (r: BrokerSnapshot['requests'][number]) => number): Value[] => b.requests.map((r) => ({ labels: { api: r.api }, value: f(r) }));
    broker('tributary_broker_requests_total', 'Requests handled, per API', 'counter', (b) => perApi(b, (r) => r.count));
    broker('tributary_broker_request_errors_total', 'Requests whose handler failed (the connection was dropped), per API', 'counter', (b) => perApi(b, (r) => r.failed));
    broker('tributary_broker_request_latency_ms', 'Time from a request\'s arrival to its response, per API', 'histogram', (b) =>
      b.requests.flatMap((r) => histogram('tributary_broker_request_latency_ms', REQUEST_LATENCY_BUCKETS_MS, { counts: r.latencyCounts, sum: r.latencySumMs, count: r.count }, { api: r.api })),
    );
    broker('tributary_broker_bytes_in_total', 'Bytes received from clients', 'counter', (b) => [{ labels: {}, value: b.bytesIn }]);
    broker('tributary_broker_bytes_out_total', 'Bytes sent to clients', 'counter', (b) => [{ labels: {}, value: b.bytesOut }]);
    broker('tributary_broker_connections', 'Open client connections', 'gauge', (b) => [{ labels: {}, value: b.connections }]);
    broker('tributary_broker_connections_accepted_total', 'Client connections accepted', 'counter', (b) => [{ labels: {}, value: b.connectionsAccepted }]);
    broker('tributary_broker_partitions', 'Partitions served, per topic', 'gauge', (b) => b.topics.map((t) => ({ labels: { topic: t.name }, value: t.partitions })));
    broker('tributary_broker_log_end_offset', 'Log end offset per partition', 'gauge', (b) =>
      b.topics.flatMap((t) => t.endOffsets.map((o, p) => ({ labels: { topic: t.name, partition: p }, value: o }))),
    );
    broker('tributary_broker_log_bytes', 'Bytes of log per topic', 'gauge', (b) => b.topics.map((t) => ({ labels: { topic: t.name }, value: t.bytes })));
    broker('tributary_broker_groups', 'Consumer groups per state', 'gauge', (b) => Object.entries(b.groupStates).map(([state, n]) => ({ labels: { state }, value: n })));
  }

  /** The Prometheus text exposition of these snapshots. */
  async render(app: AppSnapshot | undefined, broker: BrokerSnapshot | undefined): Promise<string> {
    this.current = { app, broker };
    try {
      return await this.registry.metrics();
    } finally {
      this.current = { app: undefined, broker: undefined };
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

export function apiName(key: number): string {
  return API_NAMES.get(key) ?? `api-${key}`;
}
