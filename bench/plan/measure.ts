/**
 * One measured run of the job `tributary plan` models: a windowed count per key (tumbling or
 * hopping, emit final) over pre-written records on the embedded log, exactly-once, in this
 * process. Keys are drawn uniformly from `keys` distinct ones by a seeded LCG; event time
 * advances by 1000 / eventsPerSec ms per record, so the event-time rate (what decides how many
 * keys a pane sees) does not depend on how fast the machine runs.
 *
 * Two shapes of input: keyed records (the key in the record, a one-byte value; the count groups
 * by it directly), or, with `keyBy`, the engine bench's (bench/engine.ts): null keys and an
 * 8-byte value (uint32 key id, uint32 amount) decoded by a custom serde, re-keyed by keyBy to a
 * string key, so every record goes through a repartition topic (written, read back, decoded)
 * before the window. `partitions` spreads the input (round-robin) and the repartition topic.
 *
 * Measured: CPU seconds (user + system of this process) of the processing alone (the input is
 * written before the clock starts), records out, and the peak of the state store's entries and
 * key + value bytes, counted exactly by a wrapper around the real in-memory store (one extra map
 * read per write, which the CPU figure includes). CPU time and state bytes stay meaningful on a
 * loaded machine; wall-clock time is reported but not modelled.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamsApp, embedded, hopping, json, string, tumbling } from '../../src/index.js';
import { InMemoryKeyValueStore, type KeyValueEntry, type KeyValueStore } from '../../src/state/index.js';
import type { ChangelogRecord } from '../../src/state/changelog.js';
import { LogManager, silentLogger } from '../../src/log/index.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import { keyAmountSerde } from '../support/key-amount.js';

export interface WindowedCountJob {
  /** Records to process. */
  readonly events: number;
  /** Distinct keys, drawn uniformly. */
  readonly keys: number;
  /** Event-time rate: records per second of event time. */
  readonly eventsPerSec: number;
  readonly sizeMs: number;
  /** Equal to sizeMs for a tumbling window. */
  readonly advanceMs: number;
  readonly commitIntervalMs?: number;
  /** Seed of the key sequence. */
  readonly seed?: number;
  /** Re-key null-keyed binary events by keyBy (a repartition) before the window, as bench/engine.ts. */
  readonly keyBy?: boolean;
  /** Input partitions (default 1). */
  readonly partitions?: number;
  /** The window's grace (default 0). */
  readonly graceMs?: number;
}

export interface WindowedCountRun {
  readonly events: number;
  readonly outputs: number;
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
  readonly peakStateEntries: number;
  readonly peakStateBytes: number;
  /** Bytes of the input records' values plus keys (what the source decoded). */
  readonly inputBytes: number;
}

const INPUT = 'plan-in';
const OUTPUT = 'plan-out';

/** The key id of each record: uniform over `keys`, from a 32-bit LCG (deterministic for a seed). */
export function* keyIds(count: number, keys: number, seed = 1): Generator<number> {
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    yield Math.floor((s / 4294967296) * keys);
  }
}

/** The key of record i: `key-<id>` of keyIds. */
export function* keySequence(count: number, keys: number, seed = 1): Generator<string> {
  for (const id of keyIds(count, keys, seed)) yield `key-${id}`;
}


/** The in-memory store, counting its entries and key + value bytes as they change, with their peaks at commits. */
class MeteredStore implements KeyValueStore {
  private readonly inner: InMemoryKeyValueStore;
  bytes = 0;
  peakEntries = 0;
  peakBytes = 0;

  constructor(readonly name: string) {
    this.inner = new InMemoryKeyValueStore(name);
  }
  get size(): number {
    return this.inner.size;
  }
  get cacheMaxBytes(): number | undefined {
    return this.inner.cacheMaxBytes;
  }
  get(key: Buffer): Buffer | undefined {
    return this.inner.get(key);
  }
  put(key: Buffer, value: Buffer): void {
    const old = this.inner.get(key);
    this.bytes += old === undefined ? key.length + value.length : value.length - old.length;
    this.inner.put(key, value);
  }
  delete(key: Buffer): boolean {
    const old = this.inner.get(key);
    if (old !== undefined) this.bytes -= key.length + old.length;
    return this.inner.delete(key);
  }
  range(from: Buffer | undefined, to: Buffer | undefined): IterableIterator<KeyValueEntry> {
    return this.inner.range(from, to);
  }
  all(): IterableIterator<KeyValueEntry> {
    return this.inner.all();
  }
  restore(records: Iterable<ChangelogRecord>): void {
    for (const r of records) {
      if (r.value === null) this.delete(r.key);
      else this.put(r.key, r.value);
    }
  }
  /**
   * The peaks are of the state as committed (the engine flushes every store after writing its
   * cached state, at each commit): inside one commit's writes a closed window's delete may come
   * after a new window's put or before it, and a peak taken per put followed that order.
   */
  flush(): void {
    if (this.inner.size > this.peakEntries) this.peakEntries = this.inner.size;
    if (this.bytes > this.peakBytes) this.peakBytes = this.bytes;
  }
  close(): void {
    this.inner.close();
  }
}

export async function measureWindowedCount(job: WindowedCountJob): Promise<WindowedCountRun> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-plan-'));
  const log = await LogManager.open({ dataDir: join(dir, 'log'), logger: silentLogger, retentionCheckIntervalMs: 0, cleanerIntervalMs: 0 });
  try {
    const partitions = job.partitions ?? 1;
    await log.createTopic(INPUT, { partitions, config: { 'retention.ms': -1 } });
    const t0 = Date.UTC(2026, 0, 1);
    const step = 1000 / job.eventsPerSec;
    const one = Buffer.from('1');
    let inputBytes = 0;
    const pending: Array<Array<{ key: Buffer | null; value: Buffer; timestamp: number }>> = Array.from({ length: partitions }, () => []);
    let i = 0;
    for (const id of keyIds(job.events, job.keys, job.seed)) {
      const key = job.keyBy ? null : Buffer.from(`key-${id}`);
      const value = job.keyBy ? keyAmountSerde.serialize({ k: id, a: i % 1000 }) : one;
      inputBytes += (key?.length ?? 0) + value.length;
      const p = i % partitions;
      pending[p]!.push({ key, value, timestamp: t0 + Math.floor(i * step) });
      i++;
      if (pending[p]!.length === 1000) {
        await log.partition(INPUT, p).append(encodeRecordBatch({ records: pending[p]! }));
        pending[p] = [];
      }
    }
    for (let p = 0; p < partitions; p++) if (pending[p]!.length > 0) await log.partition(INPUT, p).append(encodeRecordBatch({ records: pending[p]! }));

    const app = new StreamsApp({ applicationId: 'plan-measure', idleTimeout: '1h' });
    const windows = job.advanceMs === job.sizeMs ? tumbling(job.sizeMs) : hopping(job.sizeMs, job.advanceMs);
    const grouped = job.keyBy
      ? app.stream(INPUT, { value: keyAmountSerde }).keyBy((e) => `key-${e.k}`, { key: string(), name: 'plan-by-key' })
      : app.stream(INPUT, { key: string(), value: string() }).groupByKey();
    grouped
      .window(windows, { grace: job.graceMs ?? 0 })
      .count({ name: 'plan-count' })
      .toStream()
      .to(OUTPUT, { value: json() });
    const stores: MeteredStore[] = [];
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    const summary = await app.run({
      until: 'end',
      log: embedded({ manager: log }),
      stateDir: join(dir, 'state'),
      stateStore: () => (name) => {
        const s = new MeteredStore(name);
        stores.push(s);
        return s;
      },
      ...(job.commitIntervalMs !== undefined ? { commitIntervalMs: job.commitIntervalMs } : {}),
    });
    const cpu = process.cpuUsage(cpu0);
    const wallSeconds = (performance.now() - w0) / 1000;
    return {
      events: job.events,
      outputs: summary.recordsOut[OUTPUT] ?? 0,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      wallSeconds,
      // The sum of each task's store peak (one task per partition).
      peakStateEntries: stores.reduce((n, s) => n + s.peakEntries, 0),
      peakStateBytes: stores.reduce((n, s) => n + s.peakBytes, 0),
      inputBytes,
    };
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
