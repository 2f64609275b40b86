import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { assignOffsets, validateAppend } from './append-validation.js';
import { CleanerAbortedError, cleanSegments, type CleanStats } from './cleaner.js';
import { ATTRIBUTES, BATCH_LENGTH, CONTROL_BIT, LAST_OFFSET_DELTA, LOG_OVERHEAD, PRODUCER_ID } from '../records/batch-header.js';
import { encodeControlBatch, isTransactionMarker, readControlRecord, type ControlType } from '../records/control.js';
import { TributaryError } from '../records/errors.js';
import { readInt64 } from '../records/int64.js';
import { RecordBatch } from '../records/record-batch.js';
import { InvalidRecordError, OffsetOutOfRangeError, StorageError } from './errors.js';
import {
  CLEANED_SUFFIX,
  DELETED_SUFFIX,
  SWAP_SUFFIX,
  parseSegmentFileName,
  parseSnapshotFileName,
  segmentFilePath,
  snapshotFileName,
} from './file-names.js';
import { GroupCommit } from './group-commit.js';
import { errnoOf, fsyncDir, fsyncDirSync, syncFile, toStorageError } from './io.js';
import {
  DEFAULT_PRODUCER_ID_EXPIRATION_MS,
  ProducerStateManager,
  readSnapshot,
  type AppendCheck,
  type AppendOrigin,
  type ProducerEntry,
} from './producer-state.js';
import { overlappingEntries, type AbortedTransaction, type AbortedTxn } from './txn-index.js';
import type { LogLogger } from './logger.js';
import { segmentsToDelete } from './retention.js';
import { Segment, type SegmentDescription, type TimestampAndOffset } from './segment.js';
import { recoverSegment } from './segment-recovery.js';
import { TimeIndex } from './time-index.js';
import { compacts, deletes, type TopicConfig } from './topic-config.js';
import { DataWaiters } from './waiters.js';

export type FsyncPolicy = 'always' | 'interval' | 'never';

/** ListOffsets' special timestamps, as Kafka numbers them. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

/** Single node: the leader epoch stamped on every batch never changes. */
const LEADER_EPOCH = 0;
const INT32_MAX = 0x7fffffff;
const DEFAULT_MAX_BYTES = 1024 * 1024;
const EMPTY: Buffer = Buffer.alloc(0);

export interface AppendResult {
  /** Offset given to the first record of the first batch. */
  baseOffset: number;
  /** Offset of the last record of the last batch. */
  lastOffset: number;
  /**
   * True when every batch was a producer's retry of a batch already in the log (Kafka's duplicate
   * handling): nothing was written and the offsets are the original ones.
   */
  duplicate?: boolean;
  /** The time stamped on the batches under LogAppendTime, else -1 (as Kafka's produce response). */
  logAppendTime: number;
  logStartOffset: number;
  recordCount: number;
}

export type IsolationLevel = 'read_uncommitted' | 'read_committed';

export interface AppendOptions {
  /**
   * 'client' (default): a producer's batches, with every Kafka check (epochs, sequences,
   * duplicates). 'coordinator': written by a coordinator for a producer - e.g. TxnOffsetCommit's
   * offset records in `__consumer_offsets`, transactional with the producer's id and epoch and
   * sequence -1 - epochs and transactions are tracked, sequences are not (Kafka's AppendOrigin).
   */
  origin?: AppendOrigin;
}

export interface ReadOptions {
  /** Soft limit: the first batch is returned whole even when larger. Default 1 MiB. */
  maxBytes?: number;
  /** Exclusive upper bound on offsets returned; defaults to (and is capped at) the high watermark. */
  maxOffset?: number;
  /**
   * 'read_committed' returns only batches below the last stable offset, plus the aborted
   * transactions overlapping them (a Kafka FetchResponse's abortedTransactions). Default
   * 'read_uncommitted'.
   */
  isolation?: IsolationLevel;
}

export interface ReadResult {
  /** Whole batches, concatenated, exactly as stored; empty when nothing is there yet. */
  records: Buffer;
  logStartOffset: number;
  highWatermark: number;
  lastStableOffset: number;
  /**
   * read_committed: the aborted transactions whose data overlaps `records`, by first offset (see
   * forEachCommittedRecord for how a consumer uses them); null for read_uncommitted.
   */
  abortedTransactions: AbortedTransaction[] | null;
}

/** A transaction marker, as the transaction coordinator writes it (Kafka's WriteTxnMarkers). */
export interface TxnMarker {
  producerId: number;
  producerEpoch: number;
  type: ControlType;
  coordinatorEpoch: number;
}

/** One producer's state in a partition (Kafka's DescribeProducers). */
export interface ProducerStateDescription {
  producerId: number;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: number;
  coordinatorEpoch: number;
  /** -1 when no transaction is open. */
  currentTransactionStartOffset: number;
}

export interface PartitionDescription {
  partition: number;
  logStartOffset: number;
  logEndOffset: number;
  highWatermark: number;
  lastStableOffset: number;
  recoveryPoint: number;
  /** Bytes of log over all segments. */
  size: number;
  segments: SegmentDescription[];
  /** Set when a disk error took the partition offline; appends fail until the log is reopened. */
  offline: string | null;
}

export interface PartitionLogOptions {
  topic: string;
  partition: number;
  dir: string;
  config: TopicConfig;
  fsync: FsyncPolicy;
  logger: LogLogger;
  clock: () => number;
  /** Kafka's producer.id.expiration.ms: producers idle this long (no open transaction) are forgotten. Default 1 day. */
  producerIdExpirationMs?: number;
}

export interface OpenPartitionOptions extends PartitionLogOptions {
  /** From the checkpoint file; undefined when there is none for this partition. */
  recoveryPoint: number | undefined;
  /** Whether the previous run closed cleanly (then only the active segment is re-checked). */
  cleanShutdown: boolean;
}

/**
 * One partition's log: its segments, the single writer that appends to the last (active) one, and
 * the readers. Appends, reads and index lookups are synchronous (page-cache I/O is fastest that way
 * in Node); what waits on the disk - fdatasync, and retention and compaction, which are long - is
 * asynchronous. Retention and compaction run one at a time per partition.
 */
export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  private _config: TopicConfig;
  private readonly fsyncPolicy: FsyncPolicy;
  private readonly logger: LogLogger;
  private readonly clock: () => number;
  private segments: Segment[];
  private _logEndOffset: number;
  private _recoveryPoint: number;
  private readonly waiters = new DataWaiters();
  private readonly groupCommit: GroupCommit<AppendResult> | null;
  /** Segments with writes not yet fdatasynced. */
  private readonly dirty = new Set<Segment>();
  private flushChain: Promise<void> = Promise.resolve();
  private maintenanceChain: Promise<unknown> = Promise.resolve();
  private offline: StorageError | null = null;
  private closing = false;
  private closed = false;
  /** Below this offset the log was compacted by this process; everything at or after it is dirty. */
  private syncRounds = 0;
  /** A segment file was created since the last flush: its directory entry needs an fsync too. */
  private dirDirty = false;
  private firstDirtyOffset = 0;
  private nextTombstoneExpiry = Infinity;
  private readonly producerState: ProducerStateManager;
  private readonly producerIdExpirationMs: number;
  /** Snapshot files written since the last flush (not yet fsynced). */
  private unsyncedSnapshots: string[] = [];
  private readonly rebuildIndexes = (segment: Segment, reason: string): void => {
    this.logger.warn(`${this.name}: ${reason}; rebuilding the indexes of ${segment.logPath}`);
    const result = recoverSegment(segment, { truncate: false });
    segment.markSealed(false);
    this.dirty.add(segment);
    if (result.problem !== null) {
      this.logger.warn(`${this.name}: ${segment.logPath} has a bad batch at ${result.validBytes} (${result.problem}); the ${result.invalidBytes} bytes after it are not readable`);
    }
  };

  private constructor(
    options: PartitionLogOptions,
    segments: Segment[],
    logEndOffset: number,
    recoveryPoint: number,
    producerState: ProducerStateManager,
  ) {
    this.topic = options.topic;
    this.partition = options.partition;
    this.dir = options.dir;
    this._config = options.config;
    this.fsyncPolicy = options.fsync;
    this.logger = options.logger;
    this.clock = options.clock;
    this.segments = segments;
    this._logEndOffset = logEndOffset;
    this._recoveryPoint = recoveryPoint;
    this.groupCommit = options.fsync === 'always' ? new GroupCommit<AppendResult>(() => this.flush()) : null;
    this.producerState = producerState;
    this.producerIdExpirationMs = options.producerIdExpirationMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_MS;
  }

  private get name(): string {
    return `${this.topic}-${this.partition}`;
  }

  /** A new, empty partition: its directory and a first segment at offset 0. */
  static create(options: PartitionLogOptions): PartitionLog {
    try {
      mkdirSync(options.dir, { recursive: true });
    } catch (e) {
      throw toStorageError(`cannot create partition directory ${options.dir}`, e);
    }
    const segment = Segment.create(options.dir, 0, options.config['index.interval.bytes'], options.logger);
    fsyncDirSync(options.dir);
    return new PartitionLog(options, [segment], 0, 0, new ProducerStateManager(`${options.topic}-${options.partition}`));
  }

  /**
   * Opens a partition directory and recovers it: finishes or discards an interrupted compaction swap,
   * drops leftovers, then checks every segment from the recovery point on (after an unclean
   * shutdown) or just the active one (after a clean one) batch by batch, cutting a torn tail off.
   */
  static open(options: OpenPartitionOptions): PartitionLog {
    const { dir, logger } = options;
    const name = `${options.topic}-${options.partition}`;
    const interval = options.config['index.interval.bytes'];
    mkdirSync(dir, { recursive: true });
    const mustRecover = completeSwaps(dir, interval, logger, name);

    const bases: number[] = [];
    for (const file of readdirSync(dir)) {
      const parsed = parseSegmentFileName(file);
      if (parsed === null) {
        if (file.endsWith('.tmp')) rmSync(`${dir}/${file}`, { force: true });
        continue;
      }
      if (parsed.state === CLEANED_SUFFIX || parsed.state === DELETED_SUFFIX || parsed.state === SWAP_SUFFIX) {
        rmSync(`${dir}/${file}`, { force: true });
      } else if (parsed.kind === 'log') {
        bases.push(parsed.baseOffset);
      }
    }
    bases.sort((a, b) => a - b);
    // Index files whose log is gone (a crash while deleting a segment) would confuse a later segment.
    const baseSet = new Set(bases);
    for (const file of readdirSync(dir)) {
      const parsed = parseSegmentFileName(file);
      if (parsed !== null && parsed.kind !== 'log' && parsed.state === '' && !baseSet.has(parsed.baseOffset)) {
        rmSync(`${dir}/${file}`, { force: true });
      }
    }

    const segments: Segment[] = [];
    try {
      if (bases.length === 0) {
        logger.warn(`${name}: no segment found in ${dir}; starting an empty log at offset 0`);
        segments.push(Segment.create(dir, 0, interval, logger));
      } else {
        for (const base of bases) segments.push(Segment.open(dir, base, interval, logger));
      }

      // Everything below the recovery point was fsynced, indexes included; from the segment holding
      // it on, the files may hold anything a crash can leave.
      const rp = options.recoveryPoint;
      let recoverFrom: number;
      if (rp === undefined) recoverFrom = options.cleanShutdown ? segments.length - 1 : 0;
      else if (options.cleanShutdown) recoverFrom = segments.length - 1;
      else recoverFrom = Math.max(0, segments.findLastIndex((s) => s.baseOffset <= rp));

      if (!options.cleanShutdown) {
        const count = segments.length - recoverFrom;
        logger.info(`${name}: unclean shutdown; checking ${count} segment${count === 1 ? '' : 's'} from offset ${segments[recoverFrom]!.baseOffset}`);
      }
      const recovered = new Set<Segment>();
      for (let i = 0; i < segments.length; i++) {
        const segment = segments[i]!;
        if (i < recoverFrom && !mustRecover.has(segment.baseOffset)) {
          // Trusted: its largest timestamp comes from the time index's last entry; a damaged time
          // index means a full check of this segment instead.
          const last = TimeIndex.readLastTimestamp(segment.timeIndex.path);
          if (last !== null) {
            segment.adoptMaxTimestamp(last.timestamp);
            segment.markSealed(true);
            continue;
          }
          logger.warn(`${name}: time index of ${segment.logPath} is missing or torn; checking the segment`);
        }
        const previous = segments[i - 1];
        const minOffset = previous !== undefined && previous.nextOffset >= 0 ? previous.nextOffset : segment.baseOffset;
        const result = recoverSegment(segment, { truncate: true, minOffset });
        recovered.add(segment);
        if (result.problem !== null) {
          logger.warn(
            `${name}: truncated ${segment.logPath} at byte ${result.validBytes}, dropping ${result.invalidBytes} bytes after the last valid batch (${result.problem})`,
          );
          if (i < segments.length - 1) {
            // Whatever follows a hole cannot be trusted to line up with it: Kafka drops it too.
            const dropped = segments.splice(i + 1);
            for (const s of dropped) {
              recovered.delete(s);
              s.closeNow();
              s.unlinkFiles();
            }
            logger.warn(`${name}: deleted ${dropped.length} segment(s) after the damaged one`);
          }
        }
        if (i < segments.length - 1) segment.seal();
      }
      const active = segments[segments.length - 1]!;
      const logEndOffset = active.nextOffset >= 0 ? active.nextOffset : active.baseOffset;
      if (active.size > 0) {
        // segment.ms counts from the first append; across a restart the first batch's timestamp
        // stands in for it (Kafka's rule), capped at now.
        const ts = active.firstBatchTimestamp;
        const now = options.clock();
        active.firstAppendTime = ts >= 0 && ts <= now ? ts : now;
      }
      if (recovered.size > 0) fsyncDirSync(dir);
      // Recovered segments (truncated, re-indexed) count as unsynced until the first flush, which the
      // LogManager runs right after open; until then the recovery point stays below all of them.
      let recoveryPoint = rp ?? 0;
      for (const s of recovered) recoveryPoint = Math.min(recoveryPoint, s.baseOffset);
      // The transaction indexes of segments a crash may have left behind are rebuilt from the log
      // (after a clean shutdown they were fsynced at close; swapped-in segments lost theirs).
      let rebuildFrom = logEndOffset;
      for (const s of segments) {
        if ((options.cleanShutdown ? mustRecover.has(s.baseOffset) : recovered.has(s)) && s.baseOffset < rebuildFrom) rebuildFrom = s.baseOffset;
      }
      const producerState = new ProducerStateManager(name);
      loadProducerState({ dir, name, segments, logEndOffset, rebuildFrom, state: producerState, logger, now: options.clock() });
      producerState.removeExpired(options.clock(), options.producerIdExpirationMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_MS);
      const log = new PartitionLog(options, segments, logEndOffset, Math.min(recoveryPoint, logEndOffset), producerState);
      for (const s of recovered) log.dirty.add(s);
      return log;
    } catch (e) {
      for (const s of segments) s.closeNow();
      throw toStorageError(`cannot open partition ${name} in ${dir}`, e);
    }
  }

  // -------------------------------------------------------------------------------------------
  // offsets

  get config(): TopicConfig {
    return this._config;
  }

  /** A new config applies to the next roll, retention check and cleaning. */
  set config(config: TopicConfig) {
    this._config = config;
  }

  get logStartOffset(): number {
    return this.segments[0]!.baseOffset;
  }

  get logEndOffset(): number {
    return this._logEndOffset;
  }

  /** Single node: every appended record is committed at once, so the high watermark is the log end. */
  get highWatermark(): number {
    return this._logEndOffset;
  }

  /**
   * Where read_committed consumers stop: the first offset of the earliest open transaction, or the
   * high watermark when none is open (never below the log start offset: retention may have deleted
   * the start of a transaction, as in Kafka - though ours holds segments of open transactions back).
   */
  get lastStableOffset(): number {
    const hw = this.highWatermark;
    const unstable = this.producerState.firstUnstableOffset();
    if (unstable < 0) return hw;
    return Math.min(hw, Math.max(unstable, this.logStartOffset));
  }

  /** Number of transactions open in this partition. */
  get openTransactions(): number {
    return this.producerState.openTransactions;
  }

  /** Every offset below this is fdatasynced (with its indexes when its segment is sealed). */
  get recoveryPoint(): number {
    return this._recoveryPoint;
  }

  get size(): number {
    let total = 0;
    for (const s of this.segments) total += s.size;
    return total;
  }

  get isOffline(): boolean {
    return this.offline !== null;
  }

  describe(): PartitionDescription {
    return {
      partition: this.partition,
      logStartOffset: this.logStartOffset,
      logEndOffset: this.logEndOffset,
      highWatermark: this.highWatermark,
      lastStableOffset: this.lastStableOffset,
      recoveryPoint: Math.max(0, this._recoveryPoint),
      size: this.size,
      segments: this.segments.map((s) => s.describe()),
      offline: this.offline === null ? null : this.offline.message,
    };
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  // -------------------------------------------------------------------------------------------
  // append

  /**
   * Appends one or more concatenated RecordBatch v2 (as a producer sends them). Each batch is
   * checked (length, magic, CRC, max.message.bytes, contiguous offsets, keys when compacted), gets
   * its offsets written into `batches` in place, and is written to the active segment at once, so
   * readers see it immediately. The promise resolves when the append is durable by the fsync policy:
   * at once for 'interval' and 'never', after the group fdatasync covering it for 'always'.
   *
   * Errors are typed: CorruptRecordError, MessageTooLargeError, RecordListTooLargeError,
   * InvalidRecordError for bad input; StorageError when the disk fails (nothing of the append is
   * then left in the file, and earlier records stay readable).
   */
  append(batches: Buffer, options?: AppendOptions): Promise<AppendResult> {
    let result: AppendResult;
    try {
      result = this.appendNow(batches, options);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.groupCommit === null ? Promise.resolve(result) : this.groupCommit.enqueue(result);
  }

  private appendNow(batches: Buffer, options: AppendOptions | undefined): AppendResult {
    this.checkWritable();
    if (!Buffer.isBuffer(batches)) throw new InvalidRecordError('append takes a Buffer of record batches');
    const config = this._config;
    const shape = validateAppend(batches, {
      maxBatchBytes: config['max.message.bytes'],
      maxAppendBytes: config['segment.bytes'],
      requireKeys: compacts(config),
    });
    // Producer epochs, sequences and transaction state are checked before offsets are taken. Plain
    // appends (no producer id, no transactional or control bit) skip this entirely.
    let check: AppendCheck | null = null;
    if (shape.special > 0) {
      check = this.producerState.checkAppend(batches, options?.origin ?? 'client');
      if (check.kind === 'duplicate') {
        return {
          baseOffset: check.firstOffset,
          lastOffset: check.lastOffset,
          logAppendTime: -1,
          logStartOffset: this.logStartOffset,
          recordCount: check.records,
          duplicate: true,
        };
      }
    }
    const now = this.clock();
    let segment = this.active;
    if (this.shouldRoll(segment, batches.length, shape.offsets, now)) segment = this.roll();
    const baseOffset = this._logEndOffset;
    const logAppendTime = config['message.timestamp.type'] === 'LogAppendTime' ? now : -1;
    const lastOffset = assignOffsets(batches, baseOffset, LEADER_EPOCH, logAppendTime);
    try {
      segment.append(batches, now);
    } catch (e) {
      const error = toStorageError(`append to ${this.name} failed`, e);
      if (segment.broken) this.goOffline(error);
      throw error;
    }
    this._logEndOffset = lastOffset + 1;
    if (check !== null) this.producerState.applyAppend(check.staged, baseOffset, now);
    this.dirty.add(segment);
    this.waiters.notify(this.highWatermark);
    return { baseOffset, lastOffset, logAppendTime, logStartOffset: this.logStartOffset, recordCount: shape.records };
  }

  /**
   * Writes a transaction marker (a control batch, as a coordinator's WriteTxnMarkers does) and closes
   * the producer's open transaction here; an abort adds the transaction to the segment's `.txnindex`.
   * A marker for a producer with no open transaction is written all the same and changes nothing but
   * the producer's epoch. An epoch older than the producer's is INVALID_PRODUCER_EPOCH, an older
   * coordinator epoch TRANSACTION_COORDINATOR_FENCED. Durable by the fsync policy, as append().
   */
  appendTxnMarker(marker: TxnMarker): Promise<AppendResult> {
    let result: AppendResult;
    try {
      result = this.appendMarkerNow(marker);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.groupCommit === null ? Promise.resolve(result) : this.groupCommit.enqueue(result);
  }

  private appendMarkerNow(marker: TxnMarker): AppendResult {
    this.checkWritable();
    const { producerId, producerEpoch, type, coordinatorEpoch } = marker;
    if (!Number.isSafeInteger(producerId) || producerId < 0) throw new InvalidRecordError(`marker producer id ${producerId} is invalid`);
    if (!Number.isInteger(producerEpoch) || producerEpoch < 0 || producerEpoch > 0x7fff) {
      throw new InvalidRecordError(`marker producer epoch ${producerEpoch} is invalid`);
    }
    if (type !== 'commit' && type !== 'abort') throw new InvalidRecordError(`marker type ${String(type)} is neither commit nor abort`);
    if (!Number.isInteger(coordinatorEpoch) || coordinatorEpoch < 0 || coordinatorEpoch > 0x7fffffff) {
      throw new InvalidRecordError(`coordinator epoch ${coordinatorEpoch} is invalid`);
    }
    this.producerState.checkMarker(producerId, producerEpoch, coordinatorEpoch);
    const now = this.clock();
    const bytes = encodeControlBatch({ type, producerId, producerEpoch, coordinatorEpoch, timestamp: now });
    let segment = this.active;
    if (this.shouldRoll(segment, bytes.length, 1, now)) segment = this.roll();
    const offset = this._logEndOffset;
    const logAppendTime = this._config['message.timestamp.type'] === 'LogAppendTime' ? now : -1;
    assignOffsets(bytes, offset, LEADER_EPOCH, logAppendTime);
    try {
      segment.append(bytes, now);
    } catch (e) {
      const error = toStorageError(`append to ${this.name} failed`, e);
      if (segment.broken) this.goOffline(error);
      throw error;
    }
    this._logEndOffset = offset + 1;
    const completed = this.producerState.applyMarker(producerId, producerEpoch, coordinatorEpoch, offset, type === 'abort', now);
    if (completed !== null && completed.aborted) {
      try {
        segment.txnIndex.append({
          producerId,
          firstOffset: completed.firstOffset,
          lastOffset: offset,
          lastStableOffset: this.producerState.lastStableOffsetAfter(completed),
        });
      } catch (e) {
        // The marker is in the log but read_committed readers would not know what it aborted:
        // stop here; the next open rebuilds the index from the log.
        this.goOffline(toStorageError(`cannot index the aborted transaction of producer ${producerId} in ${this.name}`, e));
      }
    }
    this.dirty.add(segment);
    this.waiters.notify(this.highWatermark);
    return { baseOffset: offset, lastOffset: offset, logAppendTime, logStartOffset: this.logStartOffset, recordCount: 1 };
  }

  /** Every producer this partition knows (Kafka's DescribeProducers). */
  producerStates(): ProducerStateDescription[] {
    const out: ProducerStateDescription[] = [];
    for (const e of this.producerState.producers.values()) {
      out.push({
        producerId: e.producerId,
        producerEpoch: e.producerEpoch,
        lastSequence: e.batches.length > 0 ? e.batches[e.batches.length - 1]!.lastSeq : -1,
        lastTimestamp: e.lastTimestamp,
        coordinatorEpoch: e.coordinatorEpoch,
        currentTransactionStartOffset: e.currentTxnFirstOffset,
      });
    }
    return out;
  }

  /** Forgets producers idle for producer.id.expiration.ms with no open transaction; returns how many. */
  removeExpiredProducers(now = this.clock()): number {
    return this.producerState.removeExpired(now, this.producerIdExpirationMs);
  }

  /**
   * Writes `<logEndOffset>.snapshot` with the producer state now. Runs at every roll and at close;
   * exposed for tests and tools.
   */
  takeProducerSnapshot(durable = false): void {
    const path = join(this.dir, snapshotFileName(this._logEndOffset));
    try {
      this.producerState.writeSnapshot(path, durable);
      if (!durable) this.unsyncedSnapshots.push(path);
    } catch (e) {
      // Not fatal: recovery falls back to an older snapshot and replays more of the log.
      this.logger.warn(`${this.name}: cannot write producer snapshot ${path}: ${errnoOf(e) ?? String(e)}`);
    }
  }

  /**
   * Removes snapshot files nobody needs: those below the log start offset and those not at a
   * segment's base offset, always keeping the newest.
   */
  private pruneSnapshots(): void {
    let files: number[];
    try {
      files = listSnapshots(this.dir);
    } catch {
      return;
    }
    const newest = files[files.length - 1];
    const bases = new Set(this.segments.map((s) => s.baseOffset));
    const start = this.logStartOffset;
    for (const offset of files) {
      if (offset === newest) continue;
      if (offset < start || !bases.has(offset)) rmSync(join(this.dir, snapshotFileName(offset)), { force: true });
    }
  }

  private checkWritable(): void {
    if (this.closing) throw new StorageError(`partition ${this.name} is closed`);
    if (this.offline !== null) throw new StorageError(`partition ${this.name} is offline: ${this.offline.message}`, { cause: this.offline });
  }

  private goOffline(error: StorageError): void {
    if (this.offline === null) {
      this.offline = error;
      this.logger.warn(`${this.name}: offline until the log is reopened: ${error.message}`);
    }
  }

  private shouldRoll(segment: Segment, bytes: number, offsets: number, now: number): boolean {
    if (segment.size === 0) return false;
    const config = this._config;
    if (segment.size + bytes > config['segment.bytes']) return true;
    if (segment.firstAppendTime >= 0 && now - segment.firstAppendTime >= config['segment.ms']) return true;
    // Index entries hold offsets relative to the segment's base as int32.
    return this._logEndOffset + offsets - 1 - segment.baseOffset > INT32_MAX;
  }

  /**
   * Starts a new active segment at the log end offset. The old one is sealed (final time-index
   * entry, indexes written) and fdatasynced in the background, so the recovery point can move past it.
   */
  private roll(): Segment {
    const old = this.active;
    const segment = Segment.create(this.dir, this._logEndOffset, this._config['index.interval.bytes'], this.logger);
    old.seal();
    this.segments.push(segment);
    // Kafka's snapshot at every roll: recovery after a crash starts from the snapshot at the base of
    // the segment holding the recovery point and replays only from there.
    this.takeProducerSnapshot(false);
    this.dirty.add(old);
    this.dirDirty = true;
    this.flush().catch((e: unknown) => this.logger.warn(`${this.name}: flush after roll failed: ${String(e)}`));
    return segment;
  }

  /**
   * fdatasyncs every segment written since the last flush; then the recovery point moves to the log
   * end offset as it was when the flush started. Flushes run one after another, so the recovery point
   * never passes bytes still being synced. A failed fdatasync takes the partition offline: after
   * one, Linux may have dropped the dirty pages, and retrying would report success on lost data.
   */
  flush(): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.closed) return;
      const end = this._logEndOffset;
      const segments = [...this.dirty];
      this.dirty.clear();
      // fdatasync makes a new segment's bytes durable, not its name: the directory is synced too.
      const syncDir = this.dirDirty;
      this.dirDirty = false;
      if (segments.length > 0) this.syncRounds++;
      const snapshots = this.unsyncedSnapshots;
      this.unsyncedSnapshots = [];
      try {
        await Promise.all([
          ...segments.map((s) => s.sync()),
          ...(syncDir ? [fsyncDir(this.dir)] : []),
          ...snapshots.map((path) => syncFile(path).catch(() => {})),
        ]);
      } catch (e) {
        const error = toStorageError(`fdatasync of ${this.name} failed`, e);
        this.goOffline(error);
        throw error;
      }
      if (end > this._recoveryPoint) this._recoveryPoint = end;
    };
    const next = this.flushChain.then(run, run);
    this.flushChain = next.catch(() => {});
    return next;
  }

  /** fdatasync rounds so far (each covers every segment written since the previous one). */
  get fsyncCount(): number {
    return this.syncRounds;
  }

  get hasUnflushedWrites(): boolean {
    return this.dirty.size > 0;
  }

  // -------------------------------------------------------------------------------------------
  // read

  /**
   * Whole batches starting with the one that holds `fromOffset`, read straight from the segment
   * file. `fromOffset` must be within [logStartOffset, logEndOffset], else OffsetOutOfRangeError;
   * at the end of the log the result is empty. Only batches wholly below the high watermark (or
   * `maxOffset`) are returned.
   */
  read(fromOffset: number, options: ReadOptions = {}): ReadResult {
    if (this.closed) throw new StorageError(`partition ${this.name} is closed`);
    const logStartOffset = this.logStartOffset;
    const highWatermark = this.highWatermark;
    const lastStableOffset = this.lastStableOffset;
    if (!Number.isSafeInteger(fromOffset) || fromOffset < logStartOffset || fromOffset > this._logEndOffset) {
      throw new OffsetOutOfRangeError(
        `offset ${fromOffset} is out of range for ${this.name}: the log holds [${logStartOffset}, ${this._logEndOffset})`,
      );
    }
    const readCommitted = options.isolation === 'read_committed';
    let maxOffset = Math.min(options.maxOffset ?? highWatermark, highWatermark);
    if (readCommitted && lastStableOffset < maxOffset) maxOffset = lastStableOffset;
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new TributaryError('INVALID_REQUEST', `maxBytes ${maxBytes} is not a byte count`);
    let records: Buffer = EMPTY;
    if (fromOffset < maxOffset) {
      for (let i = this.segmentIndexFor(fromOffset); i < this.segments.length; i++) {
        const segment = this.segments[i]!;
        const position = segment.positionOf(fromOffset, this.rebuildIndexes);
        // Compaction can leave a segment with nothing at or after an offset in its range.
        if (position < 0) continue;
        records = segment.readBatches(position, maxBytes, maxOffset);
        break;
      }
    }
    let abortedTransactions: AbortedTransaction[] | null = null;
    if (readCommitted) {
      abortedTransactions = [];
      if (records.length > 0) this.collectAbortedTransactions(fromOffset, lastOffsetIn(records) + 1, abortedTransactions);
    }
    return { records, logStartOffset, highWatermark, lastStableOffset, abortedTransactions };
  }

  /**
   * Kafka's collectAbortedTransactions: the aborted transactions overlapping [fromOffset,
   * upperBoundOffset), from the txn indexes of the segment holding fromOffset and the ones after it
   * (a transaction's abort marker, and so its entry, can be in a later segment than its data).
   */
  private collectAbortedTransactions(fromOffset: number, upperBoundOffset: number, out: AbortedTransaction[]): void {
    for (let i = this.segmentIndexFor(fromOffset); i < this.segments.length; i++) {
      if (this.segments[i]!.txnIndex.collect(fromOffset, upperBoundOffset, out)) break;
    }
    out.sort((a, b) => a.firstOffset - b.firstOffset);
  }

  /** Index of the segment whose range holds `offset`: the last one with baseOffset <= offset. */
  private segmentIndexFor(offset: number): number {
    const segs = this.segments;
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (segs[mid]!.baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * ListOffsets: the first offset whose record has a timestamp >= `timestamp` (with that record's
   * timestamp), or null when no record is that new. EARLIEST_TIMESTAMP (-2) gives the log start
   * offset, LATEST_TIMESTAMP (-1) the high watermark; both with timestamp -1.
   */
  offsetForTimestamp(timestamp: number): TimestampAndOffset | null {
    if (timestamp === EARLIEST_TIMESTAMP) return { offset: this.logStartOffset, timestamp: -1 };
    if (timestamp === LATEST_TIMESTAMP) return { offset: this.highWatermark, timestamp: -1 };
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
      throw new OffsetOutOfRangeError(`timestamp ${timestamp} is neither a time nor -1 (latest) / -2 (earliest)`);
    }
    for (const segment of this.segments) {
      if (segment.maxTimestamp < timestamp) continue;
      const found = segment.findByTimestamp(timestamp, this.rebuildIndexes);
      if (found !== null && found.offset < this.highWatermark) return found;
    }
    return null;
  }

  /**
   * Long poll: resolves true as soon as the high watermark passes `offset` (at once if it already
   * has), false after `timeoutMs` or when the partition closes; rejects with the signal's reason if
   * it aborts. One timer per call; appends wake waiters directly.
   */
  waitForData(offset: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.highWatermark > offset) return Promise.resolve(true);
    if (this.closing) return Promise.resolve(false);
    return this.waiters.wait(offset, timeoutMs, signal);
  }

  // -------------------------------------------------------------------------------------------
  // retention and compaction

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const next = this.maintenanceChain.then(task, task);
    this.maintenanceChain = next.catch(() => {});
    return next;
  }

  /**
   * Deletes the segments retention allows (retention.ms, retention.bytes; whole segments, oldest
   * first) and moves the log start offset to the first one left. Returns how many were deleted.
   * A no-op for topics whose cleanup.policy lacks "delete".
   */
  deleteOldSegments(): Promise<number> {
    return this.exclusive(async () => {
      if (this.closing || !deletes(this._config)) return 0;
      const now = this.clock();
      const decision = segmentsToDelete(
        this.segments.map((s) => ({ size: s.size, largestTimestamp: () => s.largestTimestampForRetention() })),
        this._config,
        now,
      );
      // Never delete the start of an open transaction: recovery replays the log from a snapshot or
      // from the log start, and must find every open transaction's first batch there.
      const unstable = this.producerState.firstUnstableOffset();
      if (unstable >= 0) {
        while (decision.count > 0) {
          const end = decision.count < this.segments.length ? this.segments[decision.count]!.baseOffset : this._logEndOffset;
          if (end <= unstable) break;
          decision.count--;
        }
      }
      if (decision.count === 0) return 0;
      if (decision.count === this.segments.length) {
        // The partition must keep an active segment: roll so the expired one can go.
        if (this.offline !== null) return 0;
        this.roll();
      }
      const doomed = this.segments.splice(0, decision.count);
      for (const s of doomed) s.renameTo(DELETED_SUFFIX, false);
      this.logger.info(
        `${this.name}: deleted ${doomed.length} segment(s) by ${decision.reason}; log start offset is now ${this.logStartOffset}`,
      );
      for (const s of doomed) {
        this.dirty.delete(s);
        await s.delete();
      }
      this.pruneSnapshots();
      return doomed.length;
    });
  }

  /**
   * Kafka's DeleteRecords, at segment granularity: deletes the segments all of whose offsets are
   * below `offset` (never the active segment, never past the last stable offset), so the log
   * start offset moves up to at most `offset`. The records between the new log start and
   * `offset` stay readable until a later call removes their segment. Used to purge repartition
   * topics once their records are committed downstream. Returns the new log start offset.
   */
  deleteRecordsBefore(offset: number): Promise<number> {
    return this.exclusive(async () => {
      if (this.closing) return this.logStartOffset;
      const limit = Math.min(offset, this.lastStableOffset);
      let count = 0;
      // Segment i ends where segment i + 1 begins; the active (last) segment stays.
      while (count < this.segments.length - 1 && this.segments[count + 1]!.baseOffset <= limit) count++;
      if (count === 0) return this.logStartOffset;
      const doomed = this.segments.splice(0, count);
      for (const s of doomed) s.renameTo(DELETED_SUFFIX, false);
      for (const s of doomed) {
        this.dirty.delete(s);
        await s.delete();
      }
      this.pruneSnapshots();
      return this.logStartOffset;
    });
  }

  /**
   * Compacts the non-active segments older than min.compaction.lag.ms (see cleaner.ts). Without
   * `force`, runs only when the dirty part reaches min.cleanable.dirty.ratio or a kept tombstone's
   * delete horizon has passed. Returns null when it did not run.
   */
  clean(options: { force?: boolean } = {}): Promise<CleanStats | null> {
    return this.exclusive(async () => {
      if (this.closing || !compacts(this._config)) return null;
      const now = this.clock();
      const lag = this._config['min.compaction.lag.ms'];
      const cleanable: Segment[] = [];
      const ends: number[] = [];
      // Kafka's first uncleanable offset: nothing at or after the last stable offset is cleaned, so
      // the cleaner knows the outcome of every transaction whose data it sees.
      const stable = this.lastStableOffset;
      for (let i = 0; i < this.segments.length - 1; i++) {
        const s = this.segments[i]!;
        if (this.segments[i + 1]!.baseOffset > stable) break;
        if (lag > 0 && s.maxTimestamp > now - lag) break;
        cleanable.push(s);
        ends.push(this.segments[i + 1]!.baseOffset);
      }
      if (cleanable.length === 0) return null;
      if (options.force !== true) {
        let total = 0;
        let dirty = 0;
        for (const s of cleanable) {
          total += s.size;
          if (s.baseOffset >= this.firstDirtyOffset) dirty += s.size;
        }
        const due = total > 0 && dirty / total >= this._config['min.cleanable.dirty.ratio'] && dirty > 0;
        if (!due && now < this.nextTombstoneExpiry) return null;
      }
      const abortedTxns: AbortedTxn[] = [];
      const rangeEnd = ends[ends.length - 1]!;
      for (let i = this.segments.indexOf(cleanable[0]!); i < this.segments.length; i++) {
        overlappingEntries(this.segments[i]!.txnIndex, cleanable[0]!.baseOffset, rangeEnd, abortedTxns);
      }
      abortedTxns.sort((a, b) => a.firstOffset - b.firstOffset);
      let stats: CleanStats;
      try {
        stats = await cleanSegments({
          dir: this.dir,
          segments: cleanable,
          ends,
          abortedTxns,
          config: this._config,
          now,
          logger: this.logger,
          shouldStop: () => this.closing,
          commit: (sources, cleaned) => this.swapIn(sources, cleaned),
        });
      } catch (e) {
        if (e instanceof CleanerAbortedError) return null;
        throw toStorageError(`compaction of ${this.name} failed`, e);
      }
      this.firstDirtyOffset = ends[ends.length - 1]!;
      this.nextTombstoneExpiry = stats.nextTombstoneExpiry;
      this.logger.info(
        `${this.name}: compacted ${stats.segmentsBefore} segment(s) into ${stats.segmentsAfter}, ${stats.bytesBefore} -> ${stats.bytesAfter} bytes, ${stats.recordsRemoved} record(s) removed`,
      );
      return stats;
    });
  }

  /**
   * Puts a cleaned segment (durable, named `.swap`) in place of its sources: the other sources
   * become `.deleted`, then the swap files are renamed over the first source's names (the log last;
   * rename replaces atomically), then the directory is synced. Readers switch at once: reads are
   * synchronous, so none is half way through the old files.
   */
  private swapIn(sources: readonly Segment[], cleaned: Segment): void {
    for (const s of sources.slice(1)) s.renameTo(DELETED_SUFFIX, false);
    cleaned.renameTo('', true);
    fsyncDirSync(this.dir);
    const first = this.segments.indexOf(sources[0]!);
    this.segments.splice(first, sources.length, cleaned);
    for (const [i, s] of sources.entries()) {
      this.dirty.delete(s);
      // The first source's names now belong to the cleaned segment: only close its descriptor.
      const retire = i === 0 ? s.close() : s.delete();
      retire.catch((e: unknown) => this.logger.warn(`${this.name}: cannot remove replaced segment: ${String(e)}`));
    }
  }

  // -------------------------------------------------------------------------------------------
  // close

  /**
   * Stops appends, ends long polls, waits for compaction/retention and pending syncs, writes the
   * indexes and fdatasyncs everything, then closes the files. The recovery point is then the log end.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.waiters.closeAll();
    await this.maintenanceChain;
    if (this.groupCommit !== null) await this.groupCommit.drain();
    for (const s of this.segments) {
      s.persistIndexes();
      this.dirty.add(s);
    }
    if (this.offline === null) {
      try {
        await this.flush();
        // The clean-shutdown snapshot: the next open loads it and replays nothing.
        this.takeProducerSnapshot(true);
        this.pruneSnapshots();
      } catch (e) {
        this.logger.warn(`${this.name}: final flush failed: ${String(e)}`);
      }
    } else {
      await this.flushChain;
    }
    await Promise.all(this.segments.map((s) => s.close()));
    this.closed = true;
  }
}

/**
 * Finishes compaction swaps a crash interrupted. A `<base>.log.swap` is complete (it was fsynced
 * before being named so): the live segments it replaces - those starting within [base, its next
 * offset) - are deleted and the swap takes their place. Returns the base offsets whose indexes must
 * be rebuilt (the swap's, since its index may or may not have been renamed before the crash).
 */
function completeSwaps(dir: string, interval: number, logger: LogLogger, name: string): Set<number> {
  const rebuilt = new Set<number>();
  const files = readdirSync(dir);
  for (const file of files) {
    const parsed = parseSegmentFileName(file);
    if (parsed === null || parsed.kind !== 'log' || parsed.state !== SWAP_SUFFIX) continue;
    const base = parsed.baseOffset;
    const swap = Segment.open(dir, base, interval, logger, SWAP_SUFFIX);
    const result = recoverSegment(swap, { truncate: true });
    const end = Math.max(swap.nextOffset, base + 1);
    swap.closeNow();
    for (const other of readdirSync(dir)) {
      const p = parseSegmentFileName(other);
      if (p === null || p.state === SWAP_SUFFIX) continue;
      if (p.baseOffset >= base && p.baseOffset < end) rmSync(`${dir}/${other}`, { force: true });
    }
    // Its indexes are rebuilt: offset and time index by recovery, the txn index by the producer-state replay.
    for (const kind of ['index', 'timeindex', 'txnindex'] as const) rmSync(segmentFilePath(dir, base, kind, SWAP_SUFFIX), { force: true });
    const reopened = Segment.open(dir, base, interval, logger, SWAP_SUFFIX);
    reopened.renameTo('', true);
    reopened.closeNow();
    fsyncDirSync(dir);
    rebuilt.add(base);
    logger.warn(
      `${name}: completed an interrupted compaction swap at offset ${base} (replaced segments in [${base}, ${end}))` +
        (result.problem !== null ? `; the swap file had a bad tail (${result.problem})` : ''),
    );
  }
  return rebuilt;
}

/** Offset of the last record of the last batch in a run of whole batches. */
function lastOffsetIn(records: Buffer): number {
  let at = 0;
  let last = -1;
  while (at < records.length) {
    last = readInt64(records, at) + records.readInt32BE(at + LAST_OFFSET_DELTA);
    at += records.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD;
  }
  return last;
}

/** Offsets of the `<offset>.snapshot` files in `dir`, ascending. */
function listSnapshots(dir: string): number[] {
  const out: number[] = [];
  for (const file of readdirSync(dir)) {
    const offset = parseSnapshotFileName(file);
    if (offset !== null) out.push(offset);
  }
  return out.sort((a, b) => a - b);
}

interface LoadProducerState {
  dir: string;
  name: string;
  segments: readonly Segment[];
  logEndOffset: number;
  /** Segments from this base offset on get their txn index rebuilt by the replay. */
  rebuildFrom: number;
  state: ProducerStateManager;
  logger: LogLogger;
  now: number;
}

/**
 * Kafka's loadProducerState: snapshots past the log end (left by a truncation) are deleted; the
 * newest readable snapshot at or below `rebuildFrom` is loaded (a torn one - snapshots are written
 * without waiting for fsync - is deleted and the next older tried); then the log is replayed from
 * there (or from the log start without a snapshot), reading batch headers and markers, which also
 * rebuilds the txn indexes of the segments from `rebuildFrom` on.
 */
function loadProducerState(args: LoadProducerState): void {
  const { dir, name, segments, logEndOffset, rebuildFrom, state, logger, now } = args;
  const logStart = segments[0]!.baseOffset;
  const snapshots = listSnapshots(dir);
  for (const offset of snapshots) {
    if (offset > logEndOffset) rmSync(join(dir, snapshotFileName(offset)), { force: true });
  }
  let from = -1;
  for (let i = snapshots.length - 1; i >= 0 && from < 0; i--) {
    const offset = snapshots[i]!;
    if (offset > logEndOffset || offset > rebuildFrom) continue;
    const path = join(dir, snapshotFileName(offset));
    let entries: ProducerEntry[];
    try {
      entries = readSnapshot(path);
    } catch (e) {
      logger.warn(`${name}: ignoring producer snapshot ${path}: ${e instanceof Error ? e.message : String(e)}`);
      rmSync(path, { force: true });
      continue;
    }
    state.load(entries);
    from = offset;
  }
  if (from < 0) state.clear();
  const start = Math.max(from, logStart);
  if (start >= logEndOffset) return;
  let replayed = 0;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const end = i + 1 < segments.length ? segments[i + 1]!.baseOffset : logEndOffset;
    if (end <= start || segment.size === 0) continue;
    const rebuild = segment.baseOffset >= rebuildFrom;
    if (rebuild) segment.txnIndex.reset();
    for (const { bytes } of segment.batches()) {
      const attributes = bytes.readInt16BE(ATTRIBUTES);
      if (bytes.readInt32BE(PRODUCER_ID) < 0) continue;
      if (readInt64(bytes, 0) + bytes.readInt32BE(LAST_OFFSET_DELTA) < start) continue;
      let marker: 'commit' | 'abort' | null = null;
      let coordinatorEpoch = -1;
      if ((attributes & CONTROL_BIT) !== 0) {
        try {
          const control = readControlRecord(new RecordBatch(bytes));
          if (isTransactionMarker(control)) {
            marker = control.type;
            coordinatorEpoch = control.coordinatorEpoch;
          }
        } catch (e) {
          logger.warn(`${name}: unreadable control batch at offset ${readInt64(bytes, 0)}: ${String(e)}`);
          continue;
        }
      }
      replayed++;
      const completed = state.replayBatch(bytes, marker, coordinatorEpoch, now);
      if (completed !== null && completed.aborted && rebuild) {
        segment.txnIndex.append({
          producerId: completed.producerId,
          firstOffset: completed.firstOffset,
          lastOffset: completed.lastOffset,
          lastStableOffset: state.lastStableOffsetAfter(completed),
        });
      }
    }
  }
  if (replayed > 0) logger.info(`${name}: rebuilt producer state from ${from < 0 ? 'the log start' : `the snapshot at ${from}`} (${replayed} producer batch(es) replayed)`);
}
