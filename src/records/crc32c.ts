import { crc32c as native } from '@node-rs/crc32';

/** CRC-32C (Castagnoli) of `data`, as an unsigned 32-bit number; the checksum RecordBatch v2 uses. */
export function crc32c(data: Buffer | Uint8Array, initial = 0): number {
  return native(data as Buffer, initial) >>> 0;
}
