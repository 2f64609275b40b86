import type { RecordHeader } from '../records/record.js';

/** A key, value or header value as DESIGN.md's machine-readable output has it. */
export type JsonBytes = string | { base64: string } | null;

export interface ConsumedRecordJson {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: JsonBytes;
  value: JsonBytes;
  headers: Record<string, JsonBytes>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 text when the bytes are valid UTF-8, else `{ base64 }`, so binary data survives a JSON round trip. */
export function bytesToJson(b: Buffer | null): JsonBytes {
  if (b === null) return null;
  try {
    return utf8.decode(b);
  } catch {
    return { base64: b.toString('base64') };
  }
}

export function recordToJson(
  topic: string,
  partition: number,
  offset: number,
  timestamp: number,
  key: Buffer | null,
  value: Buffer | null,
  headers: readonly RecordHeader[],
): ConsumedRecordJson {
  const h: Record<string, JsonBytes> = {};
  for (const header of headers) h[header.key] = bytesToJson(header.value);
  return { topic, partition, offset, timestamp, key: bytesToJson(key), value: bytesToJson(value), headers: h };
}
