import { visitRecords, type FetchedPartition } from '../../connectors/index.js';
import type { ChangelogBatch } from '../../state/changelog.js';

/**
 * The changelog records of a fetch with offsets in [from, end), as a batch a store applies
 * (state/changelog.ts): key and value are the fetched buffer's views, handed straight to the
 * store, which copies what it keeps: no object, copy or promise per record. Records without a key
 * are skipped (a changelog has none; a source table's topic may). `counted.records` is set to the
 * number applied once the store has run the batch.
 */
export function changelogBatch(f: FetchedPartition, from: number, end: number, counted: { records: number }): ChangelogBatch {
  return (apply) => {
    let n = 0;
    visitRecords(f, (offset, _timestamp, key, value) => {
      if (offset >= end) return false;
      if (offset < from || key === null) return true;
      apply(key, value);
      n++;
      return true;
    });
    counted.records = n;
  };
}
