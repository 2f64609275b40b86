import type { LatencyWindow } from '../engine/metrics/latency-histogram.js';
import type { AppSnapshot } from '../engine/metrics/snapshot.js';
import { appSnapshot, brokerSnapshot, type BrokerSnapshot, type DashboardSources } from './sources.js';

/** One point of the live charts: rates over the last interval, latency percentiles of that interval, current gauges. */
export interface Sample {
  readonly t: number;
  readonly app?: {
    readonly recordsIn: number;
    readonly recordsOut: number;
    /** Records per second over the interval. */
    readonly inRate: number;
    readonly outRate: number;
    readonly lateRate: number;
    readonly deadLetterRate: number;
    /** Input records per CPU-second of this process over the interval (null when no CPU time passed). */
    readonly perCpuSecond: number | null;
    readonly processing: LatencyWindow;
    readonly endToEnd: LatencyWindow;
    readonly commit: LatencyWindow;
    /** Consumer lag per input partition, by "topic/partition". */
    readonly lag: Readonly<Record<string, number>>;
    readonly totalLag: number;
    /** Watermark lag (ms) per task id; null when the task has no finite watermark. */
    readonly watermarkLagMs: Readonly<Record<string, number | null>>;
    readonly stateEntries: number;
    readonly stateBytes: number;
    readonly stores: Readonly<Record<string, { readonly entries: number; readonly bytes: number }>>;
  };
  readonly broker?: {
    readonly bytesInRate: number;
    readonly bytesOutRate: number;
    readonly requestRate: number;
    readonly connections: number;
  };
}

/**
 * Takes a sample of the sources every `intervalMs`, keeps the last `capacity` (the charts'
 * history when a page opens) and hands each to the listeners (the Server-Sent Events streams).
 * The only reader of the engine's latency windows.
 */
export class Sampler {
  readonly history: Sample[] = [];
  private readonly listeners = new Set<(s: Sample) => void>();
  private timer: NodeJS.Timeout | undefined;
  private prevApp: { snap: AppSnapshot; cpu: number } | undefined;
  private prevBroker: BrokerSnapshot | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly sources: DashboardSources,
    private readonly intervalMs = 1000,
    private readonly capacity = 300,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.running = this.running.then(async () => void (await this.sample())).catch(() => {});
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    this.listeners.clear();
  }

  subscribe(f: (s: Sample) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  /** Takes one sample now (the timer calls this; tests may too). */
  async sample(): Promise<Sample> {
    const t = Date.now();
    const app = await appSnapshot(this.sources);
    const broker = brokerSnapshot(this.sources);
    const s: Sample = { t, ...(app ? { app: this.appSample(app) } : {}), ...(broker ? { broker: this.brokerSample(broker) } : {}) };
    this.history.push(s);
    if (this.history.length > this.capacity) this.history.splice(0, this.history.length - this.capacity);
    for (const f of this.listeners) f(s);
    return s;
  }

  private appSample(a: AppSnapshot): NonNullable<Sample['app']> {
    const prev = this.prevApp;
    const cpu = a.cpuSeconds;
    this.prevApp = { snap: a, cpu };
    const dt = prev ? Math.max(1e-3, (a.time - prev.snap.time) / 1000) : 0;
    const rate = (now: number, before: number | undefined) => (prev && before !== undefined ? Math.max(0, now - before) / dt : 0);
    const dIn = prev ? a.recordsIn - prev.snap.recordsIn : 0;
    const dCpu = prev ? cpu - prev.cpu : 0;
    const lag: Record<string, number> = {};
    for (const p of a.partitions) if (p.kind !== 'repartition') lag[`${p.topic}/${p.partition}`] = p.lag;
    const watermarkLagMs: Record<string, number | null> = {};
    for (const t of a.tasks) watermarkLagMs[t.id] = t.watermarkLagMs;
    const stores: Record<string, { entries: number; bytes: number }> = {};
    let stateEntries = 0;
    let stateBytes = 0;
    for (const t of a.tasks) {
      for (const st of t.stores) {
        const x = (stores[st.name] ??= { entries: 0, bytes: 0 });
        x.entries += st.entries;
        x.bytes += st.bytes;
        stateEntries += st.entries;
        stateBytes += st.bytes;
      }
    }
    const rt = this.sources.app?.activeRuntime;
    const empty = { count: 0, p50: 0, p95: 0, p99: 0, max: 0 };
    return {
      recordsIn: a.recordsIn,
      recordsOut: a.recordsOut,
      inRate: rate(a.recordsIn, prev?.snap.recordsIn),
      outRate: rate(a.recordsOut, prev?.snap.recordsOut),
      lateRate: rate(a.lateRecords, prev?.snap.lateRecords),
      deadLetterRate: rate(a.deadLettered, prev?.snap.deadLettered),
      perCpuSecond: dCpu > 0 ? dIn / dCpu : null,
      processing: rt ? rt.stats.processingLatency.takeWindow() : empty,
      endToEnd: rt ? rt.stats.endToEndLatency.takeWindow() : empty,
      commit: rt ? rt.stats.commitLatency.takeWindow() : empty,
      lag,
      totalLag: Object.values(lag).reduce((n, x) => n + x, 0),
      watermarkLagMs,
      stateEntries,
      stateBytes,
      stores,
    };
  }

  private brokerSample(b: BrokerSnapshot): NonNullable<Sample['broker']> {
    const prev = this.prevBroker;
    this.prevBroker = b;
    const dt = prev ? Math.max(1e-3, (b.time - prev.time) / 1000) : 0;
    const requests = (x: BrokerSnapshot) => x.requests.reduce((n, r) => n + r.count, 0);
    return {
      bytesInRate: prev ? (b.bytesIn - prev.bytesIn) / dt : 0,
      bytesOutRate: prev ? (b.bytesOut - prev.bytesOut) / dt : 0,
      requestRate: prev ? (requests(b) - requests(prev)) / dt : 0,
      connections: b.connections,
    };
  }
}
