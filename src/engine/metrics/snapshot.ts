import type { KeyValueStore } from '../../state/kv-store.js';
import type { InputProgress, StreamsRuntime } from '../runtime/runtime.js';
import type { LatencyHistogram } from './latency-histogram.js';

/** A latency distribution as exporters read it: bucket counts (per LATENCY_BUCKETS_MS, plus +Inf), sum and count. */
export interface LatencySnapshot {
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
}

export interface StoreSnapshot {
  readonly name: string;
  readonly entries: number;
  /** Keys plus values; exact up to EXACT_BYTES_LIMIT entries, above it extrapolated from the first entries. */
  readonly bytes: number;
}

export interface TaskSnapshot {
  readonly id: string;
  readonly subtopology: number;
  readonly partition: number;
  /** Event-time watermark (ms), null before any input (−∞) or after the end of a bounded input (+∞). */
  readonly watermark: number | null;
  /** Wall-clock time minus the watermark (ms), null when the watermark is not finite. */
  readonly watermarkLagMs: number | null;
  readonly recordsIn: number;
  readonly recordsOut: number;
  readonly lateRecords: number;
  readonly deadLettered: number;
  readonly inputs: ReadonlyArray<{ readonly topic: string; readonly kind: string; readonly watermark: number | null; readonly idle: boolean }>;
  readonly stores: readonly StoreSnapshot[];
  /** Records each operator passed downstream (sinks write to topics instead: see AppSnapshot.outputs). */
  readonly operators: ReadonlyArray<{ readonly name: string; readonly recordsOut: number }>;
}

export interface PartitionSnapshot extends InputProgress {
  /** Consumer lag: end offset (read_committed) minus the offset after the last processed record. */
  readonly lag: number;
}

/** Everything a running application reports about itself at one moment. */
export interface AppSnapshot {
  readonly applicationId: string;
  readonly time: number;
  readonly running: boolean;
  readonly uptimeMs: number;
  /** CPU seconds (user + system) this process used since the runtime started. */
  readonly cpuSeconds: number;
  readonly recordsIn: number;
  readonly recordsOut: number;
  readonly lateRecords: number;
  readonly deadLettered: number;
  readonly commits: number;
  readonly batches: number;
  readonly rebalances: number;
  readonly restore: { readonly total: number; readonly restored: number; readonly done: boolean; readonly ms: number };
  readonly latency: { readonly processing: LatencySnapshot; readonly endToEnd: LatencySnapshot; readonly commit: LatencySnapshot };
  readonly tasks: readonly TaskSnapshot[];
  readonly partitions: readonly PartitionSnapshot[];
  readonly outputs: ReadonlyArray<{ readonly topic: string; readonly records: number }>;
}

/**
 * Stores up to this many entries are measured exactly; bigger ones from their first entries (in
 * key order), so a sample costs at most this many reads per store.
 */
export const EXACT_BYTES_LIMIT = 1_000;

function finite(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}

function latency(h: LatencyHistogram): LatencySnapshot {
  return { counts: [...h.counts], sum: h.sum, count: h.count };
}

/**
 * Bytes of keys and values of a store: exact for small stores, else extrapolated from the first
 * EXACT_BYTES_LIMIT entries, in whatever order the store has them (no sort of a large store per sample).
 */
export function storeBytes(store: KeyValueStore): number {
  let n = 0;
  let bytes = 0;
  for (const e of store.unordered?.() ?? store.all()) {
    bytes += e.key.length + e.value.length;
    if (++n >= EXACT_BYTES_LIMIT) break;
  }
  const size = store.size;
  return n >= EXACT_BYTES_LIMIT && size > n ? Math.round((bytes / n) * size) : bytes;
}

/**
 * Reads the runtime's counters, tasks, stores and input partitions (one endOffsets call for the
 * lag). Nothing here runs per record: it is what a scrape or the dashboard's once-a-second
 * sample costs.
 */
export async function snapshotRuntime(rt: StreamsRuntime, now = Date.now()): Promise<AppSnapshot> {
  const progress = await rt.inputProgress().catch(() => [] as InputProgress[]);
  const stats = rt.stats;
  const cpu = process.cpuUsage(stats.startCpu);
  const tasks: TaskSnapshot[] = [];
  let recordsIn = 0;
  let lateRecords = 0;
  let deadLettered = 0;
  const running = !rt.isFinished;
  for (const t of rt.tasks) {
    const m = t.metrics;
    recordsIn += m.recordsIn;
    lateRecords += m.lateRecords;
    deadLettered += m.deadLettered;
    const stores: StoreSnapshot[] = [];
    if (running) {
      for (const s of t.stores) {
        const store = t.store(s.name);
        if (store) stores.push({ name: s.name, entries: store.size, bytes: storeBytes(store) });
      }
    }
    const w = t.watermark;
    tasks.push({
      id: t.id,
      subtopology: t.subtopology,
      partition: t.partition,
      watermark: finite(w),
      watermarkLagMs: Number.isFinite(w) ? now - w : null,
      recordsIn: m.recordsIn,
      recordsOut: m.recordsOut,
      lateRecords: m.lateRecords,
      deadLettered: m.deadLettered,
      inputs: t.inputWatermarks().map((i) => ({ topic: i.topic, kind: i.kind, watermark: finite(i.watermark), idle: i.idle })),
      stores,
      operators: t.operators.map((o) => ({ name: o.name, recordsOut: o.forwarded })),
    });
  }
  const outputs = [...rt.recordsOutByTopic].map(([topic, c]) => ({ topic, records: c.records }));
  return {
    applicationId: rt.topology.applicationId,
    time: now,
    running,
    uptimeMs: rt.startedAtMs > 0 ? now - rt.startedAtMs : 0,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    recordsIn,
    recordsOut: outputs.reduce((n, o) => n + o.records, 0),
    lateRecords,
    deadLettered,
    commits: rt.commitCount,
    batches: stats.batches,
    rebalances: stats.rebalances,
    restore: { total: stats.restoreTotal, restored: stats.restored, done: stats.restoreDone, ms: stats.restoreMs },
    latency: { processing: latency(stats.processingLatency), endToEnd: latency(stats.endToEndLatency), commit: latency(stats.commitLatency) },
    tasks,
    partitions: progress.map((p) => ({ ...p, lag: Math.max(0, p.end - p.processed) })),
    outputs,
  };
}
