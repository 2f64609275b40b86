import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import {
  ATTRIBUTES,
  BASE_SEQUENCE,
  BATCH_LENGTH,
  CONTROL_BIT,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAX_TIMESTAMP,
  PRODUCER_EPOCH,
  PRODUCER_ID,
  TRANSACTIONAL_BIT,
} from '../records/batch-header.js';
import { crc32c } from '../records/crc32c.js';
import { readInt64, writeInt64 } from '../records/int64.js';
import { InvalidRecordError, TransactionError } from './errors.js';

/**
 * Kafka's producer state (ProducerStateManager) for one partition: for every producer id that wrote
 * to it, the epoch, the metadata of its last 5 batches (sequence range, offsets) for duplicate
 * detection, the coordinator epoch of its last marker and the first offset of its open transaction.
 * The open transactions give the last stable offset. It is built by appends and markers, snapshot
 * to `<offset>.snapshot` files, and rebuilt at open from the latest snapshot plus a replay of the log.
 */

/** Kafka keeps the last 5 batches per producer: a producer has at most 5 requests in flight. */
export const PRODUCER_BATCH_HISTORY = 5;
export const DEFAULT_PRODUCER_ID_EXPIRATION_MS = 24 * 60 * 60 * 1000;
const INT32_MAX = 0x7fffffff;

export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
  /** The batch's max timestamp (what a duplicate's produce response reports). */
  timestamp: number;
}

export interface ProducerEntry {
  producerId: number;
  producerEpoch: number;
  /** Oldest first, at most PRODUCER_BATCH_HISTORY. */
  batches: BatchMetadata[];
  /** Of the last transaction marker (-1 before any). */
  coordinatorEpoch: number;
  /** Wall-clock time this log last saw the producer write (expiry counts from it). */
  lastTimestamp: number;
  /** First offset of the producer's open transaction; -1 when none is open. */
  currentTxnFirstOffset: number;
}

export interface CompletedTxn {
  producerId: number;
  firstOffset: number;
  /** The marker's offset. */
  lastOffset: number;
  aborted: boolean;
}

/** One producer batch of an append, checked and waiting for its offsets. */
export interface StagedBatch {
  producerId: number;
  epoch: number;
  firstSeq: number;
  lastSeq: number;
  /** Offset of the batch's first record relative to the append's first. */
  relativeOffset: number;
  lastOffsetDelta: number;
  maxTimestamp: number;
  transactional: boolean;
}

export type AppendCheck =
  | { kind: 'append'; staged: StagedBatch[] }
  /** Every batch is a retry of one already in the log: nothing is written, these are the original offsets. */
  | { kind: 'duplicate'; firstOffset: number; lastOffset: number; records: number };

/** What a staged check sees of a producer: its stored entry, then the batches before it in the same append. */
interface ProducerView {
  known: boolean;
  epoch: number;
  lastSeq: number;
  txnOpen: boolean;
}

/**
 * Who appends: a producer ('client': every check) or a coordinator writing on a producer's behalf
 * ('coordinator': Kafka's AppendOrigin.COORDINATOR, e.g. a group coordinator's transactional offset
 * commit with the producer's id and epoch and sequence -1: epochs and transactions are tracked,
 * sequences are not).
 */
export type AppendOrigin = 'client' | 'coordinator';

export function nextSequence(seq: number, delta: number): number {
  const v = seq + delta;
  return v > INT32_MAX ? v - INT32_MAX - 1 : v;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

export class ProducerStateManager {
  readonly producers = new Map<number, ProducerEntry>();
  /**
   * Open transactions: first offset -> producer id. Transactions open at the log end, so insertion
   * order is offset order and the first key is the first unstable offset.
   */
  private readonly ongoing = new Map<number, number>();
  private readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  /** First offset of the earliest open transaction, -1 when none is open. */
  firstUnstableOffset(): number {
    if (this.ongoing.size === 0) return -1;
    for (const first of this.ongoing.keys()) return first;
    return -1;
  }

  get openTransactions(): number {
    return this.ongoing.size;
  }

  /** The last stable offset once `completed` is closed: Kafka's value for the txn index entry. */
  lastStableOffsetAfter(completed: CompletedTxn): number {
    for (const [first, producerId] of this.ongoing) {
      if (producerId !== completed.producerId) return first;
    }
    return completed.lastOffset + 1;
  }

  // -------------------------------------------------------------------------------------------
  // client appends

  /**
   * Kafka's checks of a client's producer batches, before anything is written: a batch of an older
   * epoch is INVALID_PRODUCER_EPOCH; a retry of one of the producer's last 5 batches is a duplicate
   * (the append returns the original offsets); a sequence that does not follow the last one is
   * OUT_OF_ORDER_SEQUENCE_NUMBER (a new epoch must start at 0; an unknown producer - its state
   * expired or deleted by retention - may start anywhere, as since Kafka 2.5); a non-transactional
   * batch while the producer has a transaction open is INVALID_TXN_STATE.
   */
  checkAppend(buf: Buffer, origin: AppendOrigin = 'client'): AppendCheck {
    const client = origin === 'client';
    const staged: StagedBatch[] = [];
    let views: Map<number, ProducerView> | null = null;
    let duplicates = 0;
    let dupFirst = -1;
    let dupLast = -1;
    let dupRecords = 0;
    let relative = 0;
    let batches = 0;
    for (let at = 0; at < buf.length; ) {
      const size = buf.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD;
      const lastDelta = buf.readInt32BE(at + LAST_OFFSET_DELTA);
      const attributes = buf.readInt16BE(at + ATTRIBUTES);
      const transactional = (attributes & TRANSACTIONAL_BIT) !== 0;
      if ((attributes & CONTROL_BIT) !== 0) throw new InvalidRecordError('clients may not write control batches');
      const producerId = buf.readInt32BE(at + PRODUCER_ID) < 0 ? -1 : readInt64(buf, at + PRODUCER_ID);
      batches++;
      if (producerId < 0) {
        if (transactional) throw new InvalidRecordError(`transactional batch at byte ${at} has no producer id`);
        relative += lastDelta + 1;
        at += size;
        continue;
      }
      const epoch = buf.readInt16BE(at + PRODUCER_EPOCH);
      const firstSeq = buf.readInt32BE(at + BASE_SEQUENCE);
      if (client && firstSeq < 0) throw new InvalidRecordError(`invalid sequence number ${firstSeq} in a batch of producer ${producerId}`);
      const lastSeq = firstSeq < 0 ? -1 : nextSequence(firstSeq, lastDelta);
      const entry = this.producers.get(producerId);

      if (client && entry !== undefined && entry.producerEpoch === epoch) {
        const dup = findDuplicate(entry, firstSeq, lastSeq);
        if (dup !== null) {
          if (duplicates === 0) dupFirst = dup.firstOffset;
          dupLast = dup.lastOffset;
          dupRecords += dup.lastOffset - dup.firstOffset + 1;
          duplicates++;
          relative += lastDelta + 1;
          at += size;
          continue;
        }
      }

      let view = views?.get(producerId);
      if (view === undefined) {
        view =
          entry === undefined || entry.producerEpoch < 0
            ? { known: false, epoch: -1, lastSeq: -1, txnOpen: false }
            : {
                known: true,
                epoch: entry.producerEpoch,
                lastSeq: entry.batches.length > 0 ? entry.batches[entry.batches.length - 1]!.lastSeq : -1,
                txnOpen: entry.currentTxnFirstOffset >= 0,
              };
        (views ??= new Map()).set(producerId, view);
      }
      if (epoch < view.epoch) {
        throw new TransactionError(
          'INVALID_PRODUCER_EPOCH',
          `${this.name}: producer ${producerId} wrote with epoch ${epoch}, older than its current epoch ${view.epoch}`,
        );
      }
      if (!client) {
        // Kafka's coordinator origin (transactional offset commits): no sequence checks.
      } else if (epoch !== view.epoch) {
        if (firstSeq !== 0 && view.known) {
          throw new TransactionError(
            'OUT_OF_ORDER_SEQUENCE_NUMBER',
            `${this.name}: producer ${producerId} started epoch ${epoch} (current ${view.epoch}) with sequence ${firstSeq}, expected 0`,
          );
        }
      } else if (view.known && !inSequence(view.lastSeq, firstSeq)) {
        throw new TransactionError(
          'OUT_OF_ORDER_SEQUENCE_NUMBER',
          `${this.name}: producer ${producerId} (epoch ${epoch}) sent sequence ${firstSeq}, expected ${nextSequence(view.lastSeq, 1)}`,
        );
      }
      if (view.txnOpen && !transactional) {
        throw new TransactionError(
          'INVALID_TXN_STATE',
          `${this.name}: producer ${producerId} has a transaction open and sent a non-transactional batch`,
        );
      }
      view.known = true;
      view.epoch = epoch;
      view.lastSeq = lastSeq;
      if (transactional) view.txnOpen = true;
      staged.push({
        producerId,
        epoch,
        firstSeq,
        lastSeq,
        relativeOffset: relative,
        lastOffsetDelta: lastDelta,
        maxTimestamp: readInt64(buf, at + MAX_TIMESTAMP),
        transactional,
      });
      relative += lastDelta + 1;
      at += size;
    }
    if (duplicates > 0) {
      if (duplicates === batches) return { kind: 'duplicate', firstOffset: dupFirst, lastOffset: dupLast, records: dupRecords };
      throw new TransactionError(
        'DUPLICATE_SEQUENCE_NUMBER',
        `${this.name}: ${duplicates} of the ${batches} batches in the append were already written; retry them alone`,
      );
    }
    return { kind: 'append', staged };
  }

  /** Records checked batches once written at `baseOffset`. */
  applyAppend(staged: readonly StagedBatch[], baseOffset: number, now: number): void {
    for (const s of staged) {
      const firstOffset = baseOffset + s.relativeOffset;
      this.addBatch(s.producerId, s.epoch, s.firstSeq, s.lastSeq, firstOffset, firstOffset + s.lastOffsetDelta, s.maxTimestamp, s.transactional, now);
    }
  }

  private entryFor(producerId: number): ProducerEntry {
    let entry = this.producers.get(producerId);
    if (entry === undefined) {
      entry = { producerId, producerEpoch: -1, batches: [], coordinatorEpoch: -1, lastTimestamp: -1, currentTxnFirstOffset: -1 };
      this.producers.set(producerId, entry);
    }
    return entry;
  }

  private addBatch(
    producerId: number,
    epoch: number,
    firstSeq: number,
    lastSeq: number,
    firstOffset: number,
    lastOffset: number,
    maxTimestamp: number,
    transactional: boolean,
    now: number,
  ): void {
    const entry = this.entryFor(producerId);
    if (entry.producerEpoch !== epoch) {
      entry.producerEpoch = epoch;
      entry.batches = [];
    }
    if (firstSeq >= 0) {
      entry.batches.push({ firstSeq, lastSeq, firstOffset, lastOffset, timestamp: maxTimestamp });
      if (entry.batches.length > PRODUCER_BATCH_HISTORY) entry.batches.shift();
    }
    entry.lastTimestamp = now;
    if (transactional && entry.currentTxnFirstOffset < 0) {
      entry.currentTxnFirstOffset = firstOffset;
      this.ongoing.set(firstOffset, producerId);
    }
  }

  // -------------------------------------------------------------------------------------------
  // transaction markers

  /** Kafka's checks of a coordinator's marker: epoch not older, coordinator epoch not older. */
  checkMarker(producerId: number, producerEpoch: number, coordinatorEpoch: number): void {
    const entry = this.producers.get(producerId);
    if (entry === undefined) return;
    if (producerEpoch < entry.producerEpoch) {
      throw new TransactionError(
        'INVALID_PRODUCER_EPOCH',
        `${this.name}: marker for producer ${producerId} has epoch ${producerEpoch}, older than its current epoch ${entry.producerEpoch}`,
      );
    }
    if (coordinatorEpoch < entry.coordinatorEpoch) {
      throw new TransactionError(
        'TRANSACTION_COORDINATOR_FENCED',
        `${this.name}: marker for producer ${producerId} has coordinator epoch ${coordinatorEpoch}, older than ${entry.coordinatorEpoch}`,
      );
    }
  }

  /** Records a marker written at `offset`; returns the transaction it closed, null when none was open. */
  applyMarker(producerId: number, producerEpoch: number, coordinatorEpoch: number, offset: number, aborted: boolean, now: number): CompletedTxn | null {
    const entry = this.entryFor(producerId);
    if (entry.producerEpoch !== producerEpoch) {
      entry.producerEpoch = producerEpoch;
      entry.batches = [];
    }
    entry.coordinatorEpoch = coordinatorEpoch;
    entry.lastTimestamp = now;
    const first = entry.currentTxnFirstOffset;
    if (first < 0) return null;
    entry.currentTxnFirstOffset = -1;
    this.ongoing.delete(first);
    return { producerId, firstOffset: first, lastOffset: offset, aborted };
  }

  // -------------------------------------------------------------------------------------------
  // recovery

  /**
   * Replays one batch read from the log (no checks: it was checked when written). `marker` is the
   * control record's type for a transaction marker batch. Returns the transaction a marker closed.
   */
  replayBatch(buf: Buffer, marker: 'commit' | 'abort' | null, coordinatorEpoch: number, now: number): CompletedTxn | null {
    const producerId = buf.readInt32BE(PRODUCER_ID) < 0 ? -1 : readInt64(buf, PRODUCER_ID);
    if (producerId < 0) return null;
    const epoch = buf.readInt16BE(PRODUCER_EPOCH);
    const base = readInt64(buf, 0);
    const lastDelta = buf.readInt32BE(LAST_OFFSET_DELTA);
    const attributes = buf.readInt16BE(ATTRIBUTES);
    if ((attributes & CONTROL_BIT) !== 0) {
      if (marker === null) return null;
      return this.applyMarker(producerId, epoch, coordinatorEpoch, base, marker === 'abort', now);
    }
    const firstSeq = buf.readInt32BE(BASE_SEQUENCE);
    this.addBatch(
      producerId,
      epoch,
      firstSeq,
      firstSeq < 0 ? -1 : nextSequence(firstSeq, lastDelta),
      base,
      base + lastDelta,
      readInt64(buf, MAX_TIMESTAMP),
      (attributes & TRANSACTIONAL_BIT) !== 0,
      now,
    );
    return null;
  }

  /** Drops producers idle for `expirationMs` with no open transaction (Kafka's producer.id.expiration.ms). */
  removeExpired(now: number, expirationMs: number): number {
    let removed = 0;
    for (const [id, entry] of this.producers) {
      if (entry.currentTxnFirstOffset < 0 && now - entry.lastTimestamp >= expirationMs) {
        this.producers.delete(id);
        removed++;
      }
    }
    return removed;
  }

  clear(): void {
    this.producers.clear();
    this.ongoing.clear();
  }

  /** Replaces the state with a snapshot's entries. */
  load(entries: readonly ProducerEntry[]): void {
    this.clear();
    const open: ProducerEntry[] = [];
    for (const e of entries) {
      this.producers.set(e.producerId, e);
      if (e.currentTxnFirstOffset >= 0) open.push(e);
    }
    open.sort((a, b) => a.currentTxnFirstOffset - b.currentTxnFirstOffset);
    for (const e of open) this.ongoing.set(e.currentTxnFirstOffset, e.producerId);
  }

  // -------------------------------------------------------------------------------------------
  // snapshots

  /** Writes the state to `path` (temp file + rename; fsynced only with `durable`). A crash can tear it: readers check its CRC. */
  writeSnapshot(path: string, durable: boolean): void {
    const buf = encodeSnapshot([...this.producers.values()]);
    const tmp = `${path}.tmp`;
    try {
      const fd = openSync(tmp, 'w');
      try {
        let done = 0;
        while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done);
        if (durable) fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
  }
}

function findDuplicate(entry: ProducerEntry, firstSeq: number, lastSeq: number): BatchMetadata | null {
  for (const b of entry.batches) if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) return b;
  return null;
}

// ---------------------------------------------------------------------------------------------
// snapshot files

/**
 * `<offset>.snapshot`: the producer state as of `offset` (every batch below it applied). Kafka's
 * layout in spirit, extended to keep all 5 batches of each producer (Kafka keeps only the last, so
 * a retry of an older in-flight batch after a restart fails instead of being found a duplicate):
 *
 *   version int16 (1) | crc uint32 (CRC-32C of everything after it) | count int32 | entries:
 *     producerId int64 | epoch int16 | coordinatorEpoch int32 | lastTimestamp int64 |
 *     currentTxnFirstOffset int64 | batchCount int8 | batches (oldest first):
 *       firstSeq int32 | lastSeq int32 | firstOffset int64 | lastOffset int64 | timestamp int64
 */
const SNAPSHOT_VERSION = 1;
const SNAPSHOT_HEADER = 10;
const ENTRY_FIXED = 31;
const BATCH_SIZE = 32;

export function encodeSnapshot(entries: readonly ProducerEntry[]): Buffer {
  let size = SNAPSHOT_HEADER;
  for (const e of entries) size += ENTRY_FIXED + e.batches.length * BATCH_SIZE;
  const buf = Buffer.alloc(size);
  buf.writeInt16BE(SNAPSHOT_VERSION, 0);
  buf.writeInt32BE(entries.length, 6);
  let p = SNAPSHOT_HEADER;
  for (const e of entries) {
    writeInt64(buf, p, e.producerId);
    buf.writeInt16BE(e.producerEpoch, p + 8);
    buf.writeInt32BE(e.coordinatorEpoch, p + 10);
    writeInt64(buf, p + 14, Math.max(-1, e.lastTimestamp));
    writeInt64(buf, p + 22, e.currentTxnFirstOffset);
    buf.writeInt8(e.batches.length, p + 30);
    p += ENTRY_FIXED;
    for (const b of e.batches) {
      buf.writeInt32BE(b.firstSeq, p);
      buf.writeInt32BE(b.lastSeq, p + 4);
      writeInt64(buf, p + 8, b.firstOffset);
      writeInt64(buf, p + 16, b.lastOffset);
      writeInt64(buf, p + 24, b.timestamp);
      p += BATCH_SIZE;
    }
  }
  buf.writeUInt32BE(crc32c(buf.subarray(6)), 2);
  return buf;
}

/** Decodes a snapshot; throws an Error saying what is wrong with a torn or foreign file. */
export function decodeSnapshot(buf: Buffer): ProducerEntry[] {
  if (buf.length < SNAPSHOT_HEADER) throw new Error(`${buf.length} bytes are too few for a snapshot`);
  const version = buf.readInt16BE(0);
  if (version !== SNAPSHOT_VERSION) throw new Error(`unknown snapshot version ${version}`);
  if (buf.readUInt32BE(2) !== crc32c(buf.subarray(6))) throw new Error('snapshot CRC mismatch');
  const count = buf.readInt32BE(6);
  const out: ProducerEntry[] = [];
  let p = SNAPSHOT_HEADER;
  for (let i = 0; i < count; i++) {
    if (p + ENTRY_FIXED > buf.length) throw new Error('snapshot is truncated');
    const entry: ProducerEntry = {
      producerId: readInt64(buf, p),
      producerEpoch: buf.readInt16BE(p + 8),
      coordinatorEpoch: buf.readInt32BE(p + 10),
      lastTimestamp: readInt64(buf, p + 14),
      currentTxnFirstOffset: readInt64(buf, p + 22),
      batches: [],
    };
    const n = buf.readInt8(p + 30);
    p += ENTRY_FIXED;
    if (n < 0 || p + n * BATCH_SIZE > buf.length) throw new Error('snapshot is truncated');
    for (let j = 0; j < n; j++) {
      entry.batches.push({
        firstSeq: buf.readInt32BE(p),
        lastSeq: buf.readInt32BE(p + 4),
        firstOffset: readInt64(buf, p + 8),
        lastOffset: readInt64(buf, p + 16),
        timestamp: readInt64(buf, p + 24),
      });
      p += BATCH_SIZE;
    }
    out.push(entry);
  }
  if (p !== buf.length) throw new Error(`snapshot has ${buf.length - p} trailing bytes`);
  return out;
}

export function readSnapshot(path: string): ProducerEntry[] {
  return decodeSnapshot(readFileSync(path));
}
