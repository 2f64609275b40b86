import { createHash } from 'node:crypto';
import { RecordBatch, encodeRecordBatch } from '../records/record-batch.js';
import { CLEANED_SUFFIX, SWAP_SUFFIX } from './file-names.js';
import { fsyncDirSync } from './io.js';
import type { LogLogger } from './logger.js';
import { Segment } from './segment.js';
import type { TopicConfig } from './topic-config.js';

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
  /** Earliest delete horizon of a tombstone still kept; Infinity when none is. */
  nextTombstoneExpiry: number;
}

export interface CleanJob {
  dir: string;
  /** The cleanable segments, in offset order: sealed, none of them active. */
  segments: readonly Segment[];
  /** For each segment, the offset where the next segment starts (its range's end). */
  ends: readonly number[];
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
 * Control batches are kept as they are; the transactions work will drop markers of removed
 * transactions and aborted data.
 */
export async function cleanSegments(job: CleanJob): Promise<CleanStats> {
  const stats: CleanStats = {
    segmentsBefore: job.segments.length,
    segmentsAfter: 0,
    bytesBefore: 0,
    bytesAfter: 0,
    recordsRemoved: 0,
    tombstonesRemoved: 0,
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

  for (const segment of job.segments) {
    stats.bytesBefore += segment.size;
    for (const { bytes } of segment.batches()) {
      const batch = new RecordBatch(bytes);
      const producerId = batch.producerId;
      if (producerId >= 0) lastBatchOfProducer.set(producerId, batch.baseOffset);
      if (!batch.isControl) {
        batch.forEachRecord((offset, _timestamp, key) => {
          if (key !== null) latest.set(keyId(key), offset);
        });
      }
      await pause(bytes.length);
    }
  }

  for (const group of groupSegments(job)) {
    const first = group[0]!;
    const cleaned = Segment.create(job.dir, first.baseOffset, job.config['index.interval.bytes'], job.logger, CLEANED_SUFFIX);
    let changed = false;
    try {
      for (const segment of group) {
        for (const { bytes } of segment.batches()) {
          const out = filterBatch(bytes, latest, lastBatchOfProducer, job, stats);
          if (out !== bytes) changed = true;
          if (out !== null) cleaned.append(out, job.now);
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
  job: CleanJob,
  stats: CleanStats,
): Buffer | null {
  const batch = new RecordBatch(bytes);
  if (batch.isControl) return bytes;
  const horizon = batch.hasDeleteHorizon ? batch.baseTimestamp : -1;
  const keep: boolean[] = [];
  let kept = 0;
  let keptTombstones = 0;
  batch.forEachRecord((offset, _timestamp, key, value) => {
    let k = key !== null && latest.get(keyId(key)) === offset;
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
