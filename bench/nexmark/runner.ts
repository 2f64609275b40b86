/**
 * The Nexmark runner: one query over N generated events on the embedded log, exactly-once, one
 * process, parallelism 1 (one partition, as the Flink peer runs).
 *
 *  - source 'log': the events are generated and written to the log first (not timed), then a
 *    bounded run (`app.run({ until: 'end' })`) processes them: the engine alone is measured.
 *    Latency is not meaningful for pre-written input (every event waits from the start) and is
 *    not reported.
 *  - source 'generator': the generator appends the events while the application runs (started
 *    with `app.start()`), at full speed or at `rate` events/s; the time is until every event's
 *    processing is committed. Latency = from an event batch's append to the commit that covers
 *    it (its results visible to read_committed readers), sampled every 10 ms; at full speed the
 *    application runs behind the generator, so it measures the backlog, at a rate the app keeps
 *    up with it is the end-to-end latency.
 *
 * Events per CPU-core-second = events / (user + system CPU seconds of this process over the
 * timed part): Nexmark's "cores" measure, and what stays stable on a shared machine.
 *
 * `kafka` (bootstrap servers): the same on a real Kafka cluster (or `tributary broker`) instead of
 * the embedded log: the events are produced into a topic of their own (`source 'log'`: before the
 * timed run; 'generator': while the app runs), the app runs on `kafka({ brokers })`, and the run's
 * topics (events, output, the app's internal topics) are deleted afterwards.
 *
 * Repartitions (keyBy) go in memory by default (`localRepartition: true`, docs/runtime.md
 * "Repartition in memory"): one process runs every task, as Flink's parallelism-1 run exchanges
 * records between its tasks without a broker. `repartition: 'log'` writes and reads the
 * repartition topics as a scaled-out application does (the runtime's own default).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamsApp, embedded, kafka, type LogConnector } from '../../src/index.js';
import { LogManager, silentLogger } from '../../src/log/index.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import { RssSampler } from '../support/rss-sampler.js';
import { jsonEventBatches } from './parallel-generator.js';
import { EVENTS_TOPIC, buildQuery, queryNamed } from './queries/index.js';
import type { Log, LogProducer } from '../../src/connectors/log.js';
import { blackhole } from './queries/query.js';

export type NexmarkSource = 'generator' | 'log';
/**
 * How keyBy's records reach the reading task: in memory (one process; key and value objects as
 * their serdes copy them), or through the repartition topic. 'memory-bytes' (for measuring the
 * object hand-over) keeps them in memory but serialized, as the local exchange did before.
 */
export type NexmarkRepartition = 'memory' | 'log' | 'memory-bytes';
export const NEXMARK_REPARTITIONS: readonly NexmarkRepartition[] = ['memory', 'log', 'memory-bytes'];
/**
 * Where each query's rows go: 'log' serializes every row to JSON and appends it to the output
 * topic inside the exactly-once transaction; 'blackhole' ends the query in a forEach that only
 * counts the rows (nothing serialized or written), as nexmark/nexmark's Flink runs end in Flink's
 * `blackhole` connector.
 */
export type NexmarkSink = 'log' | 'blackhole';
export const NEXMARK_SINKS: readonly NexmarkSink[] = ['log', 'blackhole'];

export interface NexmarkRunOptions {
  readonly query: string;
  readonly events: number;
  readonly source: NexmarkSource;
  /** Events/s the generator appends at with source 'generator' (default: as fast as it can). */
  readonly rate?: number;
  /** Partitions of the events topic (default 1). */
  readonly partitions?: number;
  /** Repartition records in memory (default, as Flink's single-process run) or through the log. */
  readonly repartition?: NexmarkRepartition;
  /** Where the rows go (default 'log'). */
  readonly sink?: NexmarkSink;
  /** Bootstrap servers of a Kafka cluster to run on instead of the embedded log. */
  readonly kafka?: string;
  /** Called with the events processed (or written) so far. */
  readonly onProgress?: (phase: 'write' | 'process', done: number, total: number) => void;
}

export interface NexmarkResult {
  readonly query: string;
  readonly source: NexmarkSource;
  /** The log the run used: 'embedded', or 'kafka' (bootstrap servers given). */
  readonly log?: 'embedded' | 'kafka';
  /** How repartitions went: 'memory' (local exchange) or 'log' (through the repartition topics). */
  readonly repartition: NexmarkRepartition;
  readonly sink: NexmarkSink;
  readonly events: number;
  readonly outputs: number;
  readonly seconds: number;
  readonly events_per_sec: number;
  readonly events_per_core_sec: number;
  readonly cpu_seconds: number;
  readonly p50_ms: number | null;
  readonly p99_ms: number | null;
  readonly peak_rss_mb: number;
  /**
   * Source 'log' only: counted from the first event's decoding to the run's end (the app's
   * start-up left out), as the Flink peer counts its runs (bench/peers/flink-run.ts).
   */
  readonly cpu_seconds_from_first_event?: number;
  readonly events_per_core_sec_from_first_event?: number;
  readonly seconds_from_first_event?: number;
}

export class NexmarkRunError extends Error {
  readonly code = 'NEXMARK_RUN_ERROR';
}

/** A run process's argument `name`: `value` when it is one of `allowed`, else a NexmarkRunError naming them. */
export function runArgument<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T {
  if (allowed.includes(value as T)) return value as T;
  throw new NexmarkRunError(`${name} must be one of ${allowed.join(', ')}, not ${value}`);
}

/**
 * Where a run's events go and its application runs: the embedded log in a temporary directory,
 * or a Kafka cluster (topics named for the run, deleted by `close`).
 */
interface RunLog {
  readonly connector: LogConnector;
  readonly eventsTopic: string;
  readonly outputTopic: string;
  readonly applicationId: string;
  /** Appends one partition's records; resolves to the partition's end offset after them. */
  append(partition: number, records: ReadonlyArray<{ key: null; value: Buffer; timestamp: number }>): Promise<number>;
  /** Releases the log; `internalTopics`: the application's own topics, deleted on Kafka. */
  close(internalTopics: readonly string[]): Promise<void>;
}

async function embeddedRunLog(dir: string, query: string, partitions: number): Promise<RunLog> {
  const log = await LogManager.open({ dataDir: join(dir, 'log'), logger: silentLogger, retentionCheckIntervalMs: 0, cleanerIntervalMs: 0 });
  await log.createTopic(EVENTS_TOPIC, { partitions, config: { 'retention.ms': -1 } });
  return {
    connector: embedded({ manager: log }),
    eventsTopic: EVENTS_TOPIC,
    outputTopic: 'nexmark-out',
    applicationId: `nexmark-${query}`,
    append: async (p, records) => (await log.partition(EVENTS_TOPIC, p).append(encodeRecordBatch({ records }))).lastOffset + 1,
    close: () => log.close(),
  };
}

async function kafkaRunLog(brokers: string, query: string, partitions: number): Promise<RunLog> {
  const run = `${query}-${process.pid}-${Date.now()}`;
  const eventsTopic = `nexmark-events-${run}`;
  const outputTopic = `nexmark-out-${run}`;
  // Kept until the run deletes them: the events carry 2015 times, which time-based retention would delete.
  const config = { 'retention.ms': -1 };
  const admin: Log = await kafka({ brokers, clientId: 'tributary-bench-nexmark' }).connect();
  let producer: LogProducer | undefined;
  try {
    await admin.createTopics([
      { name: eventsTopic, partitions, config },
      { name: outputTopic, partitions: 1, config },
    ]);
    producer = await admin.producer();
  } catch (e) {
    await admin.close();
    throw e;
  }
  const p = producer;
  // A fresh topic and a plain producer: a partition's end offset is the number of records sent to it.
  const ends = new Array<number>(partitions).fill(0);
  return {
    connector: kafka({ brokers }),
    eventsTopic,
    outputTopic,
    applicationId: `nexmark-${run}`,
    async append(partition, records) {
      for (const r of records) p.send({ topic: eventsTopic, partition, timestamp: r.timestamp, key: null, value: r.value, headers: [] });
      await p.flush();
      return (ends[partition]! += records.length);
    },
    async close(internalTopics) {
      try {
        await p.close();
        await admin.deleteTopics([eventsTopic, outputTopic, ...internalTopics]);
      } finally {
        await admin.close();
      }
    },
  };
}

/**
 * Appends `count` events to the run's events topic in batches, round-robin over its partitions;
 * calls back per batch. `parallel`: generate on worker threads (parallel-generator.ts; same
 * batches), for the untimed pre-generation of `--source log`.
 */
async function appendEvents(
  log: RunLog,
  count: number,
  partitions: number,
  onBatch: (partition: number, endOffset: number, appended: number) => Promise<void> | void,
  parallel = false,
): Promise<void> {
  let appended = 0;
  let p = 0;
  const records: Array<{ key: null; value: Buffer; timestamp: number }> = [];
  for await (const batch of jsonEventBatches({ numEvents: count }, { batchEvents: 1000, ...(parallel ? {} : { threads: 1 }) })) {
    records.length = 0;
    for (let i = 0; i < batch.count; i++) records.push({ key: null, value: batch.value(i), timestamp: batch.timestamps[i]! });
    const end = await log.append(p, records);
    appended += batch.count;
    await onBatch(p, end, appended);
    p = (p + 1) % partitions;
  }
}

export async function runNexmark(o: NexmarkRunOptions): Promise<NexmarkResult> {
  const query = queryNamed(o.query);
  if (!query) throw new NexmarkRunError(`unknown query ${o.query}`);
  const partitions = o.partitions ?? 1;
  const dir = mkdtempSync(join(tmpdir(), `tributary-nexmark-${o.query}-`));
  const rss = new RssSampler();
  let log: RunLog | undefined;
  let app: StreamsApp | undefined;
  try {
    log = o.kafka === undefined ? await embeddedRunLog(dir, o.query, partitions) : await kafkaRunLog(o.kafka, o.query, partitions);
    const output = log.outputTopic;
    // Idleness is a wall-clock rule; a starved partition on a loaded machine must not turn idle.
    app = new StreamsApp({ applicationId: log.applicationId, idleTimeout: '1h' });
    let first: { cpu: NodeJS.CpuUsage; at: number } | undefined;
    let blackholed = 0;
    const sink = o.sink ?? 'log';
    buildQuery(app, query, sink === 'log' ? output : blackhole(() => blackholed++), {
      topic: log.eventsTopic,
      onFirstEvent: () => {
        first = { cpu: process.cpuUsage(), at: performance.now() };
      },
    });
    const outputs = (summary: { recordsOut: Record<string, number> } | undefined): number =>
      sink === 'log' ? (summary?.recordsOut[output] ?? 0) : blackholed;
    const repartition = o.repartition ?? 'memory';
    const runtime = {
      log: log.connector,
      stateDir: join(dir, 'state'),
      localRepartition: repartition !== 'log',
      localRepartitionObjects: repartition === 'memory',
    };
    const progressTimer = (total: number): NodeJS.Timeout =>
      setInterval(() => {
        const rt = app?.activeRuntime;
        if (!rt || !o.onProgress) return;
        void rt.inputProgress().then((ps) => {
          const done = ps.filter((x) => x.topic === log?.eventsTopic).reduce((s, x) => s + x.processed, 0);
          o.onProgress?.('process', done, total);
        });
      }, 250);

    if (o.source === 'log') {
      await appendEvents(
        log,
        o.events,
        partitions,
        (_p, _end, n) => {
          if (n % 100_000 < 1000) o.onProgress?.('write', n, o.events);
        },
        true,
      );
      rss.reset();
      const timer = progressTimer(o.events);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const summary = await app.run({ until: 'end', ...runtime });
      const t1 = performance.now();
      const cpu1 = process.cpuUsage();
      clearInterval(timer);
      o.onProgress?.('process', o.events, o.events);
      const fromFirst = first && { seconds: (t1 - first.at) / 1000, cpu: cpuDelta(cpu1, first.cpu) };
      return result(o, outputs(summary), (t1 - t0) / 1000, cpuDelta(cpu1, cpu0), null, rss.peakMb(), fromFirst);
    }

    // source 'generator': append while the application runs; latency from append to commit.
    rss.reset();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await app.start(runtime);
    const pending: Array<{ partition: number; end: number; at: number }> = [];
    const latencies: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling || pending.length > 0) {
        const rt = app.activeRuntime;
        if (rt) {
          const committed = new Map<number, number>();
          for (const x of await rt.inputProgress()) if (x.topic === log.eventsTopic) committed.set(x.partition, x.committed);
          const now = performance.now();
          let done = 0;
          for (let i = 0; i < pending.length; i++) {
            const b = pending[i]!;
            if ((committed.get(b.partition) ?? -1) >= b.end) latencies.push(now - b.at);
            else pending[done++] = b;
          }
          pending.length = done;
          o.onProgress?.('process', o.events - pending.length * 1000, o.events);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const started = performance.now();
    await appendEvents(log, o.events, partitions, async (partition, end, n) => {
      pending.push({ partition, end, at: performance.now() });
      if (o.rate) {
        const due = started + (n / o.rate) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      } else if (n % 20_000 < 1000) {
        await new Promise((r) => setImmediate(r)); // let the application's turns run
      }
    });
    sampling = false;
    await sampler;
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const summary = await app.close();
    latencies.sort((a, b) => a - b);
    const pct = (q: number): number => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]! * 10) / 10;
    return result(o, outputs(summary), seconds, cpu, latencies.length ? [pct(0.5), pct(0.99)] : null, rss.peakMb());
  } finally {
    rss.stop();
    const topology = app?.topology();
    await log?.close(topology ? [...topology.repartitionTopics, ...topology.changelogTopics, ...(topology.deadLetterTopic ? [topology.deadLetterTopic] : [])] : []);
    rmSync(dir, { recursive: true, force: true });
  }
}

function cpuDelta(end: NodeJS.CpuUsage, start: NodeJS.CpuUsage): NodeJS.CpuUsage {
  return { user: end.user - start.user, system: end.system - start.system };
}

function result(
  o: NexmarkRunOptions,
  outputs: number,
  seconds: number,
  cpu: NodeJS.CpuUsage,
  latency: [number, number] | null,
  peakMb: number,
  fromFirst?: { seconds: number; cpu: NodeJS.CpuUsage },
): NexmarkResult {
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const firstCpuSeconds = fromFirst && (fromFirst.cpu.user + fromFirst.cpu.system) / 1e6;
  return {
    query: o.query,
    source: o.source,
    log: o.kafka === undefined ? 'embedded' : 'kafka',
    repartition: o.repartition ?? 'memory',
    sink: o.sink ?? 'log',
    events: o.events,
    outputs,
    seconds: Math.round(seconds * 1000) / 1000,
    events_per_sec: Math.round(o.events / seconds),
    events_per_core_sec: Math.round(o.events / cpuSeconds),
    cpu_seconds: Math.round(cpuSeconds * 1000) / 1000,
    p50_ms: latency ? latency[0] : null,
    p99_ms: latency ? latency[1] : null,
    peak_rss_mb: Math.round(peakMb),
    ...(fromFirst && firstCpuSeconds !== undefined && {
      cpu_seconds_from_first_event: Math.round(firstCpuSeconds * 1000) / 1000,
      events_per_core_sec_from_first_event: Math.round(o.events / firstCpuSeconds),
      seconds_from_first_event: Math.round(fromFirst.seconds * 1000) / 1000,
    }),
  };
}
