import { encodeRecordBatch } from '../../src/records/record-batch.js';
import { forEachCommittedRecord, type PartitionLog, type ReadResult } from '../../src/log/index.js';
import { batchesOf } from './helpers.js';

export interface ProducerBatchOptions {
  producerId: number;
  epoch: number;
  seq: number;
  transactional?: boolean;
  /** Keys for the records (default k0, k1, ...). */
  keys?: readonly string[];
  timestamp?: number;
}

/** One producer batch with the given values (each record key `keys[i]` or `k<i>`). */
export function producerBatch(values: readonly string[], o: ProducerBatchOptions): Buffer {
  return encodeRecordBatch({
    records: values.map((v, i) => ({ key: Buffer.from(o.keys?.[i] ?? `k${i}`), value: Buffer.from(v), timestamp: o.timestamp ?? 1_000 })),
    producerId: o.producerId,
    producerEpoch: o.epoch,
    baseSequence: o.seq,
    transactional: o.transactional ?? false,
  });
}

export async function expectCode(p: Promise<unknown> | (() => unknown), code: string, what = ''): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    const got = (e as { code?: unknown }).code;
    if (got !== code) throw new Error(`${what}: expected ${code}, got ${String(got)}: ${String(e)}`);
    return;
  }
  throw new Error(`${what}: expected ${code}, but it succeeded`);
}

export interface SeenRecord {
  offset: number;
  key: string | null;
  value: string | null;
}

/** Every record from `from` to the end, read as a consumer with the given isolation and filtered the Kafka way. */
export function consume(log: PartitionLog, isolation: 'read_committed' | 'read_uncommitted', from = log.logStartOffset, maxBytes = 512): SeenRecord[] {
  const out: SeenRecord[] = [];
  let next = from;
  for (;;) {
    const r: ReadResult = log.read(next, { maxBytes, isolation });
    if (r.records.length === 0) break;
    next = forEachCommittedRecord(
      r,
      (offset, _ts, key, value) => {
        out.push({ offset, key: key === null ? null : key.toString(), value: value === null ? null : value.toString() });
      },
      { fromOffset: next },
    );
  }
  return out;
}

/** Offsets of the control batches in the partition (read_uncommitted). */
export function markerOffsets(log: PartitionLog): number[] {
  const out: number[] = [];
  let next = log.logStartOffset;
  while (next < log.highWatermark) {
    const r = log.read(next, { maxBytes: 1 << 20 });
    if (r.records.length === 0) break;
    for (const b of batchesOf(r.records)) {
      if (b.isControl && b.baseOffset >= next) out.push(b.baseOffset);
      next = b.lastOffset + 1;
    }
  }
  return out;
}

/** A settable clock for LogManager options. */
export function manualClock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void; set: (t: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms), set: (v) => (t = v) };
}
