import { ATTRIBUTES, BATCH_LENGTH, CONTROL_BIT, LOG_OVERHEAD, TRANSACTIONAL_BIT } from '../records/batch-header.js';
import { CONTROL_TYPE_ABORT } from '../records/control.js';
import { RecordBatch } from '../records/record-batch.js';
import type { RecordVisitor } from '../records/record.js';
import type { AbortedTransaction } from './txn-index.js';

/** A read's records and aborted transactions: a PartitionLog ReadResult, or a Kafka FetchResponse partition. */
export interface CommittedReadInput {
  records: Buffer;
  /** From a read_committed read; null (or absent) means read_uncommitted: nothing is filtered but control records. */
  abortedTransactions?: readonly AbortedTransaction[] | null;
}

export interface CommittedRecordsOptions {
  /** Records below this offset are skipped (a read returns the whole batch holding its start offset). */
  fromOffset?: number;
}

/**
 * Visits the records a Kafka consumer hands to its application, the way its fetcher filters a
 * read_committed response: batches are walked in order; when a batch reaches the first offset of an
 * aborted transaction, that producer is marked aborted; its transactional batches are then dropped
 * until its abort marker, which clears the mark. Control batches (markers) are never visited.
 * Batches at or past the last stable offset never come back from a read_committed read, so what is
 * left is exactly the committed data (and the data of producers outside transactions).
 *
 * `visit` may return false to stop. Returns where the next read starts: after the last batch looked
 * at, or after the record that stopped the walk; `fromOffset` when there was nothing.
 */
export function forEachCommittedRecord(read: CommittedReadInput, visit: RecordVisitor, options: CommittedRecordsOptions = {}): number {
  const from = options.fromOffset ?? -1;
  let stopAt = -1;
  const recordVisitor: RecordVisitor = (offset, timestamp, key, value, headers) => {
    if (offset < from) return true;
    if (visit(offset, timestamp, key, value, headers) === false) {
      stopAt = offset + 1;
      return false;
    }
    return true;
  };
  return forEachCommittedBatch(
    read,
    (batch) => {
      batch.forEachRecord(recordVisitor);
      return stopAt;
    },
    options,
  );
}

/**
 * The batches forEachCommittedRecord takes records from, the same filtering, for readers that
 * decode the records themselves (the engine reads them into columns). `visit` gets each batch
 * holding committed records at or past `fromOffset` (it must skip those below it itself) and
 * returns -1 to go on, or the offset the next read starts at to stop. Returns what
 * forEachCommittedRecord returns.
 */
export function forEachCommittedBatch(read: CommittedReadInput, visit: (batch: RecordBatch) => number, options: CommittedRecordsOptions = {}): number {
  const buf = read.records;
  const from = options.fromOffset ?? -1;
  const list = read.abortedTransactions ?? null;
  const aborted = list === null || list.length === 0 ? null : [...list].sort((a, b) => a.firstOffset - b.firstOffset);
  const abortedProducers = new Set<number>();
  let nextAborted = 0;
  let nextOffset = Math.max(from, 0);
  for (let at = 0; at + LOG_OVERHEAD <= buf.length; ) {
    const size = buf.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD;
    if (at + size > buf.length) break; // a partial batch at the end of a fetch
    const bytes = buf.subarray(at, at + size);
    at += size;
    const batch = new RecordBatch(bytes);
    const attributes = bytes.readInt16BE(ATTRIBUTES);
    const control = (attributes & CONTROL_BIT) !== 0;
    const lastOffset = batch.lastOffset;
    nextOffset = lastOffset + 1;
    if (aborted !== null && batch.producerId >= 0) {
      while (nextAborted < aborted.length && aborted[nextAborted]!.firstOffset <= lastOffset) {
        abortedProducers.add(aborted[nextAborted++]!.producerId);
      }
      if (control) {
        if (isAbortMarker(batch)) abortedProducers.delete(batch.producerId);
        continue;
      }
      if ((attributes & TRANSACTIONAL_BIT) !== 0 && abortedProducers.has(batch.producerId)) continue;
    }
    if (control) continue;
    if (lastOffset < from) continue;
    const stop = visit(batch);
    if (stop >= 0) return stop;
  }
  return nextOffset;
}

/** Kafka's containsAbortMarker: a control batch whose first record's key says ABORT. */
function isAbortMarker(batch: RecordBatch): boolean {
  if (batch.recordCount === 0) return false;
  let abort = false;
  batch.forEachRecord((_offset, _ts, key) => {
    abort = key !== null && key.length >= 4 && key.readInt16BE(2) === CONTROL_TYPE_ABORT;
    return false;
  });
  return abort;
}

