import { CorruptRecordError } from './errors.js';

const TWO_32 = 4294967296;

/**
 * Reads a big-endian int64 as a number. Offsets, timestamps and producer ids stay far below 2^53;
 * a value outside the safe range can only come from corrupt or hostile bytes, so it is an error
 * rather than a silently rounded number.
 */
export function readInt64(buf: Buffer, at: number): number {
  const hi = buf.readInt32BE(at);
  const lo = buf.readUInt32BE(at + 4);
  const v = hi * TWO_32 + lo;
  if (!Number.isSafeInteger(v)) throw new CorruptRecordError(`int64 at ${at} is outside the safe integer range`);
  return v;
}

export function writeInt64(buf: Buffer, at: number, value: number): void {
  const hi = Math.floor(value / TWO_32);
  const lo = value - hi * TWO_32;
  buf.writeInt32BE(hi, at);
  buf.writeUInt32BE(lo, at + 4);
}
