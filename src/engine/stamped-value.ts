/**
 * How a repartitioned record carries its stamp (docs/semantics.md, "Lateness and determinism"):
 * before the value's bytes, as `[tag][stamp: float64 BE][value]`. Tag STAMPED_VALUE: the serde's
 * bytes follow; STAMPED_NULL: the record's value is null, nothing follows.
 *
 * Why not a header, as before: every record of a repartition topic carries a stamp, and a header
 * per record cost about 8 % of a keyed windowed count's CPU (sized, written and copied by the
 * producer, parsed and compared by the reader), and a Kafka broker parses each one when it
 * validates a batch. A value of its own per record is made by the sink anyway.
 *
 * Records written by earlier versions carry a `tributary.stamp` header and an unprefixed value:
 * a record with that header is read the old way.
 */
import type { RecordHeader } from '../records/record.js';
import { headerValue } from './codec.js';
import { STAMP_HEADER } from './watermarks.js';

export const STAMP_PREFIX = 9;
const STAMPED_VALUE = 0x53; // 'S'
const STAMPED_NULL = 0x4e; // 'N'

/** The value bytes a repartition sink writes for `value` (null: the value is null) and `stamp`. */
export function stampValue(stamp: number, value: Buffer | null): Buffer {
  const n = value === null ? 0 : value.length;
  const out = Buffer.allocUnsafe(STAMP_PREFIX + n);
  out[0] = value === null ? STAMPED_NULL : STAMPED_VALUE;
  out.writeDoubleBE(stamp, 1);
  if (value !== null) {
    // Values are mostly small: a loop beats Buffer#copy's checks below a few dozen bytes.
    if (n <= 32) for (let i = 0; i < n; i++) out[STAMP_PREFIX + i] = value[i]!;
    else value.copy(out, STAMP_PREFIX);
  }
  return out;
}

/**
 * Where the value of a stamped record starts, for the `length` value bytes at `at` of `chunk`:
 * STAMP_PREFIX (a value follows the stamp), -1 (the value is null), or 0 when the bytes are not
 * a stamped value (then they are read as they are, and the stamp is not known).
 */
export function stampSkip(chunk: Buffer, at: number, length: number): number {
  if (length < STAMP_PREFIX) return 0;
  const tag = chunk[at];
  if (tag === STAMPED_VALUE) return STAMP_PREFIX;
  return tag === STAMPED_NULL && length === STAMP_PREFIX ? -1 : 0;
}

/** The stamp of a stamped value at `at` (stampSkip answered non-zero). */
export function readStamp(chunk: Buffer, at: number): number {
  return chunk.readDoubleBE(at + 1);
}

/**
 * stampSkip for a repartition record whose value is the `length` bytes at `at` of `chunk` (-1: a
 * null value): 0 also when its headers hold the stamp (written by an earlier version, the value
 * as it is).
 */
export function recordStampSkip(headers: readonly RecordHeader[], chunk: Buffer, at: number, length: number): number {
  if (length < 0 || headerValue(headers, STAMP_HEADER) !== undefined) return 0;
  return stampSkip(chunk, at, length);
}

/** The value past its stamp, as `skip` (recordStampSkip) says: the bytes after it, or null. */
export function withoutStamp(value: Buffer, skip: number): Buffer | null {
  if (skip === 0) return value;
  return skip < 0 ? null : value.subarray(skip);
}
