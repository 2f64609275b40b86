import { forEachCommittedRecord } from '../log/committed-records.js';
import type { RecordVisitor } from '../records/record.js';
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
