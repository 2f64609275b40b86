import { setMaxListeners } from 'node:events';
import type { LogManager } from '../../log/log-manager.js';
import type { PartitionLog } from '../../log/partition-log.js';
import { OffsetOutOfRangeError } from '../../log/errors.js';
import { BATCH_LENGTH, LAST_OFFSET_DELTA, LOG_OVERHEAD } from '../../records/batch-header.js';
import { readInt64 } from '../../records/int64.js';
import { AssignedPartitions, type AssignedPartition } from '../assigned-partitions.js';
import type { ConsumerOptions, FetchedPartition, LogConsumer, PartitionOffset } from '../log.js';

interface Assigned extends AssignedPartition {
  readonly log: PartitionLog;
  /** High watermark at the last read: under read_committed, waiting starts from here (see waitOffset). */
  seenHighWatermark: number;
}

/**
 * Reads partitions of the embedded log straight from their segment files (PartitionLog.read is
 * synchronous page-cache I/O), batch bytes as stored. With nothing to return, parks on every
 * unpaused partition's waitForData (appends wake it; one timer per partition and wait; no
 * polling loop) until data comes, `maxWaitMs` passes or wakeup() is called.
 */
export class EmbeddedConsumer extends AssignedPartitions<Assigned> implements LogConsumer {
  private list: Assigned[] = [];
  private rotate = 0;
  private waiting: AbortController | null = null;
  private closed = false;

  constructor(
    private readonly manager: LogManager,
    options: ConsumerOptions = {},
  ) {
    super(options);
  }

  protected assigned(p: PartitionOffset): Assigned {
    return { topic: p.topic, partition: p.partition, log: this.manager.partition(p.topic, p.partition), position: p.offset, paused: false, seenHighWatermark: -1 };
  }

  protected override onAssign(): void {
    this.list = [...this.parts.values()];
  }

  async fetch(maxWaitMs: number): Promise<FetchedPartition[]> {
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      if (this.closed) return [];
      const out = this.readAvailable();
      if (out.length > 0) return out;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return [];
      if (!(await this.waitForAny(remaining))) return [];
    }
  }

  wakeup(): void {
    this.waiting?.abort();
  }

  close(): void {
    this.closed = true;
    this.wakeup();
  }


  private readAvailable(): FetchedPartition[] {
    const out: FetchedPartition[] = [];
    const n = this.list.length;
    let total = 0;
    const start = this.rotate++ % Math.max(1, n);
    for (let i = 0; i < n && total < this.maxBytes; i++) {
      const p = this.list[(start + i) % n]!;
      if (p.paused) continue;
      const f = this.readPartition(p);
      if (f) {
        out.push(f);
        total += f.records.length;
      }
    }
    return out;
  }

  private readPartition(p: Assigned): FetchedPartition | null {
    if (p.position >= p.log.highWatermark) {
      p.seenHighWatermark = p.log.highWatermark;
      return null;
    }
    let read;
    try {
      read = p.log.read(p.position, { maxBytes: this.maxBytesPerPartition, isolation: this.isolation });
    } catch (e) {
      // Retention or compaction removed the position: start from the earliest offset left (Kafka's
      // auto.offset.reset=earliest, which Kafka Streams uses).
      if (!(e instanceof OffsetOutOfRangeError) || p.position >= p.log.logStartOffset) throw e;
      p.position = p.log.logStartOffset;
      read = p.log.read(p.position, { maxBytes: this.maxBytesPerPartition, isolation: this.isolation });
    }
    p.seenHighWatermark = read.highWatermark;
    if (read.records.length === 0) return null;
    const fetchOffset = p.position;
    const nextOffset = lastOffsetIn(read.records) + 1;
    p.position = nextOffset;
    return {
      topic: p.topic,
      partition: p.partition,
      fetchOffset,
      records: read.records,
      abortedTransactions: read.abortedTransactions,
      nextOffset,
      highWatermark: read.highWatermark,
      lastStableOffset: read.lastStableOffset,
    };
  }

  /**
   * Where to wait from: the position, except under read_committed when data is there but not
   * stable (an open transaction): then only an append past what was seen (more data, or the
   * marker that ends the transaction) can change anything.
   */
  private waitOffset(p: Assigned): number {
    return this.isolation === 'read_committed' ? Math.max(p.position, p.seenHighWatermark) : p.position;
  }

  private async waitForAny(timeoutMs: number): Promise<boolean> {
    const active = this.list.filter((p) => !p.paused);
    if (active.length === 0) {
      // Nothing to wait on: sleep until wakeup (resume/assign) or timeout.
      const ac = new AbortController();
      this.waiting = ac;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        ac.signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        });
      });
      this.waiting = null;
      return false;
    }
    const ac = new AbortController();
    setMaxListeners(0, ac.signal);
    this.waiting = ac;
    try {
      const woke = await Promise.race(active.map((p) => p.log.waitForData(this.waitOffset(p), timeoutMs, ac.signal).catch(() => false)));
      return woke;
    } finally {
      this.waiting = null;
      ac.abort();
    }
  }
}

/** Offset of the last record of the last batch in a run of whole batches. */
export function lastOffsetIn(records: Buffer): number {
  let at = 0;
  let last = -1;
  while (at + LOG_OVERHEAD <= records.length) {
    last = readInt64(records, at) + records.readInt32BE(at + LAST_OFFSET_DELTA);
    at += records.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD;
  }
  return last;
}
