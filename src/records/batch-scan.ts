import { BATCH_HEADER_SIZE, BATCH_LENGTH, LOG_OVERHEAD, MAGIC } from './batch-header.js';
import { CorruptRecordError } from './errors.js';
import { RecordBatch } from './record-batch.js';

/**
 * Walking a run of concatenated batches, as a Fetch response's records field or a segment file
 * holds them, reading only each batch's 12-byte prefix (and its magic byte): no CRC, no records.
 */

export interface BatchSpan {
  /** Where the batch starts, in the scanned buffer's coordinates. */
  position: number;
  /** Whole batch size, 12-byte log overhead included. */
  size: number;
}

/**
 * Why the walk stopped:
 * - 'end': the range held whole batches only;
 * - 'partial': a batch is cut off at the end (normal for a Fetch, which may cut the last batch; a
 *   torn write at the tail of a segment);
 * - 'corrupt': the bytes at `end` cannot be a batch (size below the header size, magic other than 2).
 */
export type ScanStop = 'end' | 'partial' | 'corrupt';

export interface BatchScan {
  batches: BatchSpan[];
  /** Just after the last whole batch: where a partial or corrupt tail begins. */
  end: number;
  stop: ScanStop;
  /** Bytes from `end` to the end of the range that are not a whole batch (0 when stop is 'end'). */
  trailingBytes: number;
  /** Size the partial or corrupt batch declares, when its 12-byte prefix is there; else -1. */
  trailingSize: number;
  /** What is wrong when stop is 'corrupt'. */
  reason?: string;
}

/**
 * Lists the whole batches in buf[start, end). Never throws on what it finds: a partial or corrupt
 * tail is reported in the result, and the caller decides (a consumer drops a partial batch and
 * fetches again; log recovery truncates at `end`; a broker rejects a corrupt Produce).
 */
export function scanBatches(buf: Buffer, start = 0, end = buf.length): BatchScan {
  if (start < 0 || end > buf.length || start > end) {
    throw new RangeError(`scan range [${start}, ${end}) is outside a buffer of ${buf.length} bytes`);
  }
  const batches: BatchSpan[] = [];
  let p = start;
  while (p < end) {
    const left = end - p;
    if (left < LOG_OVERHEAD) return tail(batches, p, 'partial', left, -1);
    const size = buf.readInt32BE(p + BATCH_LENGTH) + LOG_OVERHEAD;
    if (size < BATCH_HEADER_SIZE) {
      return tail(batches, p, 'corrupt', left, size, `record batch at ${p} declares ${size} bytes, below the ${BATCH_HEADER_SIZE}-byte header`);
    }
    if (left > MAGIC) {
      const magic = buf.readInt8(p + MAGIC);
      if (magic !== 2) return tail(batches, p, 'corrupt', left, size, `record batch at ${p} has magic ${magic}; only 2 is supported`);
    }
    if (size > left) return tail(batches, p, 'partial', left, size);
    batches.push({ position: p, size });
    p += size;
  }
  return { batches, end: p, stop: 'end', trailingBytes: 0, trailingSize: -1 };
}

function tail(batches: BatchSpan[], at: number, stop: ScanStop, trailingBytes: number, trailingSize: number, reason?: string): BatchScan {
  const scan: BatchScan = { batches, end: at, stop, trailingBytes, trailingSize };
  if (reason !== undefined) scan.reason = reason;
  return scan;
}

/**
 * The whole batches in buf[start, end) as lazy views. A partial trailing batch is skipped (as a Kafka
 * consumer does); a corrupt one throws CorruptRecordError after the good batches before it were
 * yielded. Use scanBatches to learn about the tail.
 */
export function* iterateBatches(buf: Buffer, start = 0, end = buf.length): Generator<RecordBatch, void, undefined> {
  const scan = scanBatches(buf, start, end);
  for (const span of scan.batches) yield new RecordBatch(buf.subarray(span.position, span.position + span.size));
  if (scan.stop === 'corrupt') throw new CorruptRecordError(scan.reason ?? `corrupt record batch at ${scan.end}`);
}
