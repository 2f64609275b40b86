import { BATCH_HEADER_SIZE, BATCH_LENGTH, LAST_OFFSET_DELTA, LOG_OVERHEAD, MAX_TIMESTAMP, verifyBatch } from '../records/batch-header.js';
import { readInt64 } from '../records/int64.js';
import type { Segment } from './segment.js';

const INT32_MAX = 0x7fffffff;
const CHUNK = 1024 * 1024;

export interface RecoveryResult {
  /** Bytes of whole, valid batches from the start of the file. */
  validBytes: number;
  /** Bytes after them that were cut off (or, without truncation, hidden). */
  invalidBytes: number;
  batches: number;
  /** Why the scan stopped early, null when the whole file was valid. */
  problem: string | null;
}

/**
 * Scans a segment from its first byte, checking every batch (length, magic, CRC-32C, offsets that
 * increase and fit the segment), and rebuilds its indexes, largest timestamp and next offset on the
 * way. The scan stops at the first bad batch: with `truncate` the file is cut there (a torn or
 * garbage tail after a crash), otherwise the bytes stay on disk but become unreadable.
 *
 * `minOffset` is the first offset the segment may hold (the previous segment's next offset).
 */
export function recoverSegment(segment: Segment, options: { truncate: boolean; minOffset?: number }): RecoveryResult {
  segment.resetDerivedState();
  const fileSize = segment.fileSize();
  let chunk = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(fileSize, BATCH_HEADER_SIZE)));
  let chunkStart = 0;
  let chunkLen = 0;
  let position = 0;
  let expected = Math.max(options.minOffset ?? segment.baseOffset, segment.baseOffset);
  let batches = 0;
  let problem: string | null = null;
  while (position < fileSize) {
    if (fileSize - position < BATCH_HEADER_SIZE) {
      problem = `${fileSize - position} bytes at ${position} are too few for a batch`;
      break;
    }
    let at = position - chunkStart;
    if (at + BATCH_HEADER_SIZE > chunkLen) {
      chunkStart = position;
      chunkLen = segment.pread(chunk, Math.min(chunk.length, fileSize - position), position);
      at = 0;
    }
    const size = chunk.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD;
    if (size < BATCH_HEADER_SIZE || size > fileSize - position) {
      problem = `batch at ${position} declares ${size} bytes, ${fileSize - position} remain`;
      break;
    }
    if (at + size > chunkLen) {
      if (size > chunk.length) chunk = Buffer.allocUnsafe(size);
      chunkStart = position;
      chunkLen = segment.pread(chunk, Math.min(chunk.length, fileSize - position), position);
      at = 0;
    }
    const view = chunk.subarray(0, chunkLen);
    try {
      verifyBatch(view, at);
      const base = readInt64(view, at);
      const lastDelta = view.readInt32BE(at + LAST_OFFSET_DELTA);
      if (base < expected) throw new Error(`batch at ${position} has base offset ${base}, expected at least ${expected}`);
      if (lastDelta < 0 || base + lastDelta - segment.baseOffset > INT32_MAX) {
        throw new Error(`batch at ${position} has an invalid last offset delta ${lastDelta}`);
      }
      readInt64(view, at + MAX_TIMESTAMP); // must be a safe integer, or track() would throw
      segment.track(position, view, at, size);
      expected = base + lastDelta + 1;
    } catch (e) {
      problem = e instanceof Error ? e.message : String(e);
      break;
    }
    batches++;
    position += size;
  }
  segment.setValidSize(position, options.truncate && position < fileSize);
  segment.persistIndexes();
  return { validBytes: position, invalidBytes: fileSize - position, batches, problem };
}
