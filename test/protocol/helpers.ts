// Shared by the protocol tests (not a test file itself).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_DIR } from '../support/shared-dir.js';

export const SPECS_DIR = process.env.KAFKA_MESSAGE_SPECS ?? join(SHARED_DIR, 'kafka-message-specs');
export const VECTORS_DIR = process.env.KAFKA_FRAME_VECTORS ?? join(SHARED_DIR, 'test-vectors', 'kafka-frames');

export interface VectorEntry {
  file: string;
  dir: 'request' | 'response';
  api_key: number;
  api_version: number;
  correlation_id: number;
  client_id?: string;
}

export function vectorIndex(): VectorEntry[] {
  return JSON.parse(readFileSync(join(VECTORS_DIR, 'index.json'), 'utf8')) as VectorEntry[];
}

/** The whole frame, size prefix included. */
export function vectorBytes(file: string): Buffer {
  return readFileSync(join(VECTORS_DIR, file));
}

export interface BatchInfo {
  baseOffset: bigint;
  length: number;
  magic: number;
  attributes: number;
  recordCount: number;
  producerId: bigint;
}

/** Walks the RecordBatch v2 headers in a records slice; fails unless the batches fill it exactly. */
export function batches(records: Buffer): BatchInfo[] {
  const out: BatchInfo[] = [];
  let p = 0;
  while (p < records.length) {
    if (records.length - p < 61) throw new Error(`partial batch header at ${p}`);
    const batchLength = records.readInt32BE(p + 8);
    const length = 12 + batchLength;
    if (p + length > records.length) throw new Error(`batch at ${p} runs past the records`);
    out.push({
      baseOffset: records.readBigInt64BE(p),
      length,
      magic: records.readInt8(p + 16),
      attributes: records.readInt16BE(p + 21),
      recordCount: records.readInt32BE(p + 57),
      producerId: records.readBigInt64BE(p + 43),
    });
    p += length;
  }
  return out;
}

/** JSON.stringify that survives bigint and Buffer, for assertion messages. */
export function show(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    const o = v as { type?: unknown; data?: unknown[] } | null;
    if (o !== null && typeof o === 'object' && o.type === 'Buffer' && Array.isArray(o.data)) return `<${o.data.length} bytes>`;
    return v;
  }).slice(0, 400);
}
