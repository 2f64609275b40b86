import { visitRecords, type FetchedPartition } from '../../connectors/index.js';
import { forEachCommittedBatch } from '../../log/committed-records.js';
import { BATCH_HEADER_SIZE, BATCH_LENGTH, LOG_OVERHEAD, RECORD_COUNT } from '../../records/batch-header.js';
import { RecordColumns } from '../../records/record-columns.js';
import { InputBatch } from '../input-batch.js';
import { MIN_RECORD_SIZE, type RecordHeader } from '../../records/record.js';
import type { ChangelogRecord } from '../../state/changelog.js';
import type { InputRecord } from '../records.js';
import { WATERMARK_HEADER } from '../watermarks.js';

/**
 * The one place where fetched RecordBatch bytes become the engine's InputRecord batches. Keys,
 * values and headers are views into the fetched buffer (no copy), except with `copy`: for inputs
 * whose bytes a store keeps (a table's topic), so that a kept key does not pin a whole fetch.
 * Records at or past `stopAt` (a bounded run's end offset) are left out.
 *
 * Returns the batch and the offset to commit once it is processed: past the last record
 * returned, or past the last batch (control batches and aborted data included) when the whole
 * fetch was taken.
 */
export function decodeFetched(f: FetchedPartition, copy: boolean, stopAt: number): { records: InputRecord[]; next: number; markers: number } {
  const records: InputRecord[] = [];
  const topic = f.topic;
  const partition = f.partition;
  let markers = 0;
  let cut = false;
  visitRecords(f, (offset, timestamp, key, value, headers) => {
    if (offset >= stopAt) {
      cut = true;
      return false;
    }
    if (key === null && value === null && isMarker(headers)) markers++;
    if (copy) {
      key = key === null ? null : Buffer.from(key);
      value = value === null ? null : Buffer.from(value);
    }
    records.push({ topic, partition, offset, timestamp, key, value, headers });
    return true;
  });
  const next = cut ? stopAt : Math.min(f.nextOffset, stopAt);
  return { records, next, markers };
}

/**
 * decodeFetched into columns (input-batch.ts): the same records, offsets to commit and marker
 * count, without an object, a key or value view or a header array per record: the task asks for
 * what its sources need.
 */
export function decodeFetchedBatch(f: FetchedPartition, copy: boolean, stopAt: number, stamped = false): { batch: InputBatch; next: number; markers: number } {
  // Sized for the whole fetch at once: grown by doubling from a small start, the columns of a 1 MB
  // fetch were copied about ten times over (9 typed arrays each time).
  const columns = new RecordColumns(columnCapacity(f.records));
  let cut = false;
  forEachCommittedBatch(
    f,
    (b) => {
      b.readColumns(columns, f.fetchOffset, stopAt);
      // A batch reaching stopAt ends the read (decodeFetched's visitor stops at the first record
      // there; a batch whose last offset is past stopAt without a record there ends at stopAt too).
      if (b.lastOffset >= stopAt) {
        cut = true;
        return stopAt;
      }
      return -1;
    },
    { fromOffset: f.fetchOffset },
  );
  const next = cut ? stopAt : Math.min(f.nextOffset, stopAt);
  return { batch: new InputBatch(f.topic, f.partition, columns, 0, columns.length, copy, stamped), next, markers: countMarkers(columns) };
}

// A function of its own: V8 compiles this long loop on its own (on-stack replacement), and as part of
// decodeFetchedBatch that compiled loop went on to code it had no type feedback for and was thrown
// away again on every fetch (seen with --trace-deopt).
function countMarkers(columns: RecordColumns): number {
  let markers = 0;
  const { keyLengths, valueLengths, headerCounts } = columns;
  for (let i = 0; i < columns.length; i++) {
    if (keyLengths[i]! < 0 && valueLengths[i]! < 0 && headerCounts[i]! > 0 && isMarker(columns.headers(i))) markers++;
  }
  return markers;
}

/**
 * Room for the records of the whole batches in `buf` (data, control and aborted ones: at least what
 * is read). A declared count is trusted only up to what the batch's bytes can hold uncompressed
 * (a damaged or hostile count must not size the arrays; a compressed batch beyond that grows them).
 */
export function columnCapacity(buf: Buffer): number {
  let n = 0;
  for (let at = 0; at + BATCH_HEADER_SIZE <= buf.length; ) {
    const size = buf.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD;
    if (size < BATCH_HEADER_SIZE || at + size > buf.length) break; // a partial batch at the end of a fetch, or garbage the read will refuse
    n += Math.max(0, Math.min(buf.readInt32BE(at + RECORD_COUNT), Math.floor((size - BATCH_HEADER_SIZE) / MIN_RECORD_SIZE)));
    at += size;
  }
  return n;
}

function isMarker(headers: readonly RecordHeader[]): boolean {
  for (let i = 0; i < headers.length; i++) if (headers[i]!.key === WATERMARK_HEADER) return true;
  return false;
}

/** Changelog records of a fetch in [from, end), copied (the store keeps them). */
export function decodeChangelog(f: FetchedPartition, from: number, end: number, out: ChangelogRecord[]): void {
  visitRecords(f, (offset, _ts, key, value) => {
    if (offset >= end) return false;
    if (offset < from) return true;
    if (key === null) return true;
    out.push({ key: Buffer.from(key), value: value === null ? null : Buffer.from(value) });
    return true;
  });
}
