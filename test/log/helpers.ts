import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordBatch, encodeRecordBatch } from '../../src/records/record-batch.js';
import type { Compression } from '../../src/records/compression/index.js';
import { LogManager, type LogLogger, type LogManagerOptions, type PartitionLog } from '../../src/log/index.js';

export function tempDir(prefix = 'tributary-log-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A logger that keeps its lines, so tests can assert on what the log reported. */
export function memoryLogger(): LogLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`) };
}

export async function openLog(dir: string, options: Partial<LogManagerOptions> = {}): Promise<LogManager> {
  return LogManager.open({ dataDir: dir, logger: memoryLogger(), retentionCheckIntervalMs: 0, cleanerIntervalMs: 0, ...options });
}

export interface SimpleRecord {
  key?: string | null;
  value: string | null;
  timestamp?: number;
}

export function batch(records: readonly SimpleRecord[], options: { compression?: Compression; producerId?: number } = {}): Buffer {
  return encodeRecordBatch({
    records: records.map((r) => ({
      key: r.key == null ? null : Buffer.from(r.key),
      value: r.value === null ? null : Buffer.from(r.value),
      timestamp: r.timestamp ?? 1_000,
    })),
    compression: options.compression ?? 'none',
    ...(options.producerId !== undefined ? { producerId: options.producerId, producerEpoch: 0, baseSequence: 0 } : {}),
  });
}

/** `count` records with values `${prefix}${i}`, one batch. */
export function valuesBatch(prefix: string, count: number, timestamp = 1_000): Buffer {
  return batch(Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `${prefix}${i}`, timestamp })));
}

export interface ReadRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
}

/** Splits a read's bytes into batches, checking each one's CRC. */
export function batchesOf(bytes: Buffer): RecordBatch[] {
  const out: RecordBatch[] = [];
  for (let at = 0; at < bytes.length; ) {
    const b = RecordBatch.at(bytes, at);
    b.verify();
    out.push(b);
    at += b.sizeInBytes;
  }
  return out;
}

export function recordsOf(bytes: Buffer): ReadRecord[] {
  const out: ReadRecord[] = [];
  for (const b of batchesOf(bytes)) {
    b.forEachRecord((offset, timestamp, key, value) => {
      out.push({ offset, timestamp, key: key === null ? null : key.toString(), value: value === null ? null : value.toString() });
    });
  }
  return out;
}

/** Every record from `from` to the high watermark, read the way a consumer does. */
export function readAll(log: PartitionLog, from = log.logStartOffset, maxBytes = 64 * 1024): ReadRecord[] {
  const out: ReadRecord[] = [];
  let next = from;
  while (next < log.highWatermark) {
    const r = log.read(next, { maxBytes });
    if (r.records.length === 0) break;
    for (const rec of recordsOf(r.records)) {
      if (rec.offset >= next) out.push(rec);
    }
    const batches = batchesOf(r.records);
    next = batches[batches.length - 1]!.lastOffset + 1;
  }
  return out;
}
