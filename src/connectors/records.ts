import { forEachCommittedRecord } from '../log/committed-records.js';
import type { RecordInput, RecordVisitor } from '../records/record.js';
import type { FetchedPartition } from './log.js';

/**
 * Visits the records of a fetched partition that a consumer hands to its application: control
 * batches skipped, aborted transactions' records dropped (read_committed), records below the
 * fetch offset skipped. Keys and values are views into the fetched bytes. Returns the offset
 * after the last record visited (or the batch end).
 */
export function visitRecords(f: FetchedPartition, visit: RecordVisitor): number {
  return forEachCommittedRecord(f, visit, { fromOffset: f.fetchOffset });
}

/** Length, attributes, deltas, key/value lengths, header count: at most 36 bytes a record in RecordBatch v2. */
const RECORD_OVERHEAD = 36;

/**
 * An upper bound of a record's encoded size in a RecordBatch v2 (varints at their widest, header
 * keys at 3 UTF-8 bytes a char): what a producer counts to keep its batches under max.message.bytes.
 */
export function recordSizeBound(r: RecordInput): number {
  let size = RECORD_OVERHEAD + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  const h = r.headers;
  if (h) for (let i = 0; i < h.length; i++) size += 10 + 3 * h[i]!.key.length + (h[i]!.value?.length ?? 0);
  return size;
}

/**
 * Cuts a partition's records into runs whose size bounds stay under `limit` (a single larger record
 * gets a run of its own): one RecordBatch each. Returns `[records]` itself when one run holds all.
 */
export function cutBySize<R extends RecordInput>(records: R[], limit: number): R[][] {
  const out: R[][] = [];
  let from = 0;
  while (from < records.length) {
    let to = from;
    let size = 0;
    while (to < records.length) {
      const s = recordSizeBound(records[to]!);
      if (to > from && size + s > limit) break;
      size += s;
      to++;
    }
    out.push(from === 0 && to === records.length ? records : records.slice(from, to));
    from = to;
  }
  return out;
}
