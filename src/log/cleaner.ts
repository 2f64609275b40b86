import { createHash } from 'node:crypto';
import { isTransactionMarker, readControlRecord } from '../records/control.js';
import { RecordBatch, encodeRecordBatch } from '../records/record-batch.js';
import { CLEANED_SUFFIX, SWAP_SUFFIX } from './file-names.js';
import { fsyncDirSync } from './io.js';
import type { LogLogger } from './logger.js';
import { Segment } from './segment.js';
import type { TopicConfig } from './topic-config.js';
import type { AbortedTxn } from './txn-index.js';

const INT32_MAX = 0x7fffffff;
/** Yield to the event loop after this many bytes, so cleaning a big log never stalls appends and reads. */
const YIELD_EVERY_BYTES = 4 * 1024 * 1024;

export interface CleanStats {
  segmentsBefore: number;
  segmentsAfter: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
  tombstonesRemoved: number;
  /** Transaction markers removed (their transaction has no data left and their delete horizon passed). */
  markersRemoved: number;
  /** Earliest delete horizon of a tombstone still kept; Infinity when none is. */
  nextTombstoneExpiry: number;
}

export interface CleanJob {
  dir: string;
  /** The cleanable segments, in offset order: sealed, none of them active. */
  segments: readonly Segment[];
  /** For each segment, the offset where the next segment starts (its range's end). */
  ends: readonly number[];
  /**
   * The aborted transactions overlapping the cleaned range, by first offset (from the txn indexes of
   * the cleaned segments and every segment after them). The range ends at or below the last stable
   * offset, so every transaction with data in it has an outcome.
   */
  abortedTxns: readonly AbortedTxn[];
  config: TopicConfig;
  now: number;
  logger: LogLogger;
  /** Checked between batches; true aborts the pass (the log is closing). */
  shouldStop: () => boolean;
  /**
   * Swaps `cleaned` (durable, named `.swap`) in for `sources`. Once called, the cleaning of this
   * group is committed: a failure from here on is finished by recovery at the next open.
   */
  commit: (sources: readonly Segment[], cleaned: Segment) => void;
}

export class CleanerAbortedError extends Error {
  constructor() {
    super('log cleaning aborted: the partition is closing');
  }
}

/**
 * The cleaner (log compaction) for one partition, Kafka's algorithm in small:
 *
 * 1. Map every key in the cleanable segments to the offset of its latest record.
 * 2. Rewrite the segments in groups (up to segment.bytes of input each), keeping a record only if
 *    it is the latest for its key. Offsets are kept: a rewritten batch has the same base offset,
 *    last offset delta, producer id/epoch/sequence, transactional flag and timestamps, with gaps in
 *    its record offset deltas. A batch that loses nothing is copied byte for byte.
 * 3. Tombstones (null values) stay until `delete.retention.ms` after the pass that first kept them:
 *    that pass stamps the batch's delete horizon (KIP-534: the attribute bit, baseTimestamp = horizon),
 *    so the deadline survives restarts with no side file. A later pass past the horizon drops them.
 * 4. Each group is written as `.cleaned`, fsynced, renamed to `.swap` (the commit point), then
 *    swapped in by `commit`. A crash before the rename leaves only `.cleaned` files (discarded at
 *    open); after it, recovery completes the swap.
 *
 * Records without a key (written before the topic became compacted) are removed, as Kafka does.
 *
 * Transactions, by Kafka's cleaner rules:
 * - batches of aborted transactions (known from the txn indexes) are removed whole, and never enter
 *   the key map, so an aborted write cannot make the cleaner drop the committed value it shadowed;
 * - an abort marker is kept while any batch of its transaction was still seen in this pass (its
 *   txn-index entry moves into the cleaned segment with it); a commit marker is kept while any batch
 *   of its transaction remains; a marker that may go is stamped with a delete horizon first, like a
 *   tombstone, and removed by a pass after delete.retention.ms - so a read_committed consumer in the
 *   middle of a transaction's range still finds the marker;
 * - the range never reaches the last stable offset (the caller stops there), so no open transaction
 *   is cleaned.
 */
export async function cleanSegments(job: CleanJob): Promise<CleanStats> {
  const stats: CleanStats = {
    segmentsBefore: job.segments.length,
    segmentsAfter: 0,
    bytesBefore: 0,
    bytesAfter: 0,
    recordsRemoved: 0,
    tombstonesRemoved: 0,
    markersRemoved: 0,
    nextTombstoneExpiry: Infinity,
  };
  const latest = new Map<string, number>();
  // An idempotent producer's last batch is kept even when emptied, so its last sequence survives.
  const lastBatchOfProducer = new Map<number, number>();
  let sinceYield = 0;
  const pause = async (bytes: number): Promise<void> => {
    sinceYield += bytes;
    if (sinceYield < YIELD_EVERY_BYTES) return;
    sinceYield = 0;
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (job.shouldStop()) throw new CleanerAbortedError();
  };

  const mapTxns = new TxnTracker(job.abortedTxns);
  for (const segment of job.segments) {
    stats.bytesBefore += segment.size;
    for (const { bytes } of segment.batches()) {
      const batch = new RecordBatch(bytes);
      const producerId = batch.producerId;
      if (batch.isControl) {
        mapTxns.onControl(batch);
      } else if (!mapTxns.onData(batch)) {
        if (producerId >= 0) lastBatchOfProducer.set(producerId, batch.baseOffset);
        batch.forEachRecord((offset, _timestamp, key) => {
          if (key !== null) latest.set(keyId(key), offset);
        });
      } else if (producerId >= 0) {
        lastBatchOfProducer.set(producerId, batch.baseOffset);
      }
      await pause(bytes.length);
    }
  }
  const txns = new TxnTracker(job.abortedTxns);

  for (const group of groupSegments(job)) {
    const first = group[0]!;
    const cleaned = Segment.create(job.dir, first.baseOffset, job.config['index.interval.bytes'], job.logger, CLEANED_SUFFIX);
    let changed = false;
    try {
      for (const segment of group) {
        for (const { bytes } of segment.batches()) {
          const out = filterBatch(bytes, latest, lastBatchOfProducer, txns, job, stats);
          if (out !== bytes) changed = true;
          if (out !== null) {
            cleaned.append(out, job.now);
            const carried = txns.takeCarried();
            if (carried !== null) cleaned.txnIndex.append(carried);
          }
          await pause(bytes.length);
        }
      }
      if (!changed && group.length === 1) {
        // Nothing to remove: keep the original rather than rewriting an identical file.
        await cleaned.close();
        cleaned.unlinkFiles();
        stats.bytesAfter += first.size;
        stats.segmentsAfter++;
        continue;
      }
      cleaned.seal();
      await cleaned.sync();
    } catch (e) {
      await cleaned.close();
      cleaned.unlinkFiles();
      throw e;
    }
    cleaned.renameTo(SWAP_SUFFIX, true);
    fsyncDirSync(job.dir);
    stats.bytesAfter += cleaned.size;
    stats.segmentsAfter++;
    job.commit(group, cleaned);
  }
  return stats;
}

/** Consecutive segments whose inputs fit one segment, and whose offsets fit int32 relative offsets. */
function groupSegments(job: CleanJob): Segment[][] {
  const groups: Segment[][] = [];
  let current: Segment[] = [];
  let size = 0;
  job.segments.forEach((segment, i) => {
    const end = job.ends[i]!;
    const head = current[0];
    if (head !== undefined && (size + segment.size > job.config['segment.bytes'] || end - 1 - head.baseOffset > INT32_MAX)) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(segment);
    size += segment.size;
  });
  if (current.length > 0) groups.push(current);
  return groups;
}

/**
 * Keys up to 32 bytes are used as they are; longer ones by MD5 (as Kafka's offset map does), which
 * bounds the map's memory per key.
 */
function keyId(key: Buffer): string {
  return key.length <= 32 ? 'k' + key.toString('latin1') : 'h' + createHash('md5').update(key).digest().toString('latin1');
}

/** The batch to write in place of `bytes`: itself, a rewritten batch, or null to drop it. */
function filterBatch(
  bytes: Buffer,
  latest: Map<string, number>,
  lastBatchOfProducer: Map<number, number>,
  txns: TxnTracker,
  job: CleanJob,
  stats: CleanStats,
): Buffer | null {
  const batch = new RecordBatch(bytes);
  const horizon = batch.hasDeleteHorizon ? batch.baseTimestamp : -1;
  if (batch.isControl) {
    if (!txns.onControl(batch)) return bytes;
    if (horizon >= 0) {
      if (job.now >= horizon) {
        stats.markersRemoved++;
        return null;
      }
      stats.nextTombstoneExpiry = Math.min(stats.nextTombstoneExpiry, horizon);
      return bytes;
    }
    const stamped = job.now + job.config['delete.retention.ms'];
    stats.nextTombstoneExpiry = Math.min(stats.nextTombstoneExpiry, stamped);
    return encodeRecordBatch({ ...batch.toInput(), deleteHorizon: true, baseTimestamp: stamped });
  }
  const aborted = txns.onData(batch);
  const keep: boolean[] = [];
  let kept = 0;
  let keptTombstones = 0;
  batch.forEachRecord((offset, _timestamp, key, value) => {
    let k = !aborted && key !== null && latest.get(keyId(key)) === offset;
    if (k && value === null && horizon >= 0 && job.now >= horizon) {
      k = false;
      stats.tombstonesRemoved++;
    }
    keep.push(k);
    if (k) {
      kept++;
      if (value === null) keptTombstones++;
    } else {
      stats.recordsRemoved++;
    }
  });
  const removed = keep.length - kept;
  const newHorizon = keptTombstones > 0 && horizon < 0 ? job.now + job.config['delete.retention.ms'] : -1;
  if (keptTombstones > 0) stats.nextTombstoneExpiry = Math.min(stats.nextTombstoneExpiry, horizon >= 0 ? horizon : newHorizon);
  if (removed === 0 && newHorizon < 0) return bytes;
  const input = batch.toInput();
  if (kept === 0) {
    const producerId = batch.producerId;
    if (producerId >= 0 && lastBatchOfProducer.get(producerId) === batch.baseOffset) {
      return encodeRecordBatch({ ...input, records: [], compression: 'none' });
    }
    return null;
  }
  const records = input.records.filter((_r, i) => keep[i] === true);
  if (newHorizon >= 0) return encodeRecordBatch({ ...input, records, deleteHorizon: true, baseTimestamp: newHorizon });
  return encodeRecordBatch({ ...input, records });
}

/**
 * Kafka's CleanedTransactionMetadata: walks batches in offset order and tells which belong to
 * aborted transactions and which markers may go.
 */
class TxnTracker {
  private next = 0;
  /** Producers inside an aborted transaction: its entry, and whether any of its batches was seen. */
  private readonly aborted = new Map<number, { entry: AbortedTxn; seen: boolean }>();
  /** Producers inside a committed (or non-aborted) transaction of which a batch was seen. */
  private readonly committed = new Set<number>();
  private carried: AbortedTxn | null = null;

  constructor(private readonly list: readonly AbortedTxn[]) {}

  private upTo(offset: number): void {
    const list = this.list;
    while (this.next < list.length && list[this.next]!.firstOffset <= offset) {
      const entry = list[this.next++]!;
      this.aborted.set(entry.producerId, { entry, seen: false });
    }
  }

  /** True when the data batch belongs to an aborted transaction. */
  onData(batch: RecordBatch): boolean {
    if (!batch.isTransactional) return false;
    const producerId = batch.producerId;
    this.upTo(batch.lastOffset);
    const a = this.aborted.get(producerId);
    if (a !== undefined) {
      // Even an emptied batch (kept for its producer's sequence) holds the marker back, as in Kafka:
      // replaying a transactional batch without its marker would leave the transaction open.
      a.seen = true;
      return true;
    }
    this.committed.add(producerId);
    return false;
  }

  /**
   * True when the control batch may be removed: an abort marker none of whose transaction's batches
   * were seen, a commit marker likewise, an emptied control batch. A kept abort marker's txn-index
   * entry is handed out by takeCarried().
   */
  onControl(batch: RecordBatch): boolean {
    const producerId = batch.producerId;
    this.upTo(batch.lastOffset);
    if (batch.recordCount === 0) return true;
    let type: 'commit' | 'abort' | 'other';
    try {
      const record = readControlRecord(batch);
      type = isTransactionMarker(record) ? record.type : 'other';
    } catch {
      return false;
    }
    if (type === 'abort') {
      const a = this.aborted.get(producerId);
      this.aborted.delete(producerId);
      if (a !== undefined && a.seen) {
        this.carried = a.entry;
        return false;
      }
      return true;
    }
    if (type === 'commit') return !this.committed.delete(producerId);
    return false;
  }

  takeCarried(): AbortedTxn | null {
    const c = this.carried;
    this.carried = null;
    return c;
  }
}
