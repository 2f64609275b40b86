import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_DIR } from '../../support/shared-dir.js';

/**
 * Just enough of the Kafka wire protocol to pull the records bytes out of captured frames, written by
 * hand so the records tests do not depend on the protocol layer. Every read is bounds-checked by
 * Buffer, so a malformed vector fails loudly.
 */
export const VECTOR_DIR = join(SHARED_DIR, 'test-vectors', 'kafka-frames');

export interface FrameInfo {
  file: string;
  dir: 'request' | 'response';
  api_key: number;
  api_version: number;
  correlation_id: number;
  client_id?: string;
}

export function frameIndex(): FrameInfo[] {
  return JSON.parse(readFileSync(join(VECTOR_DIR, 'index.json'), 'utf8')) as FrameInfo[];
}

export function readFrame(file: string): Buffer {
  return readFileSync(join(VECTOR_DIR, file));
}

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  int8(): number {
    const v = this.buf.readInt8(this.pos);
    this.pos += 1;
    return v;
  }
  int16(): number {
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  int64(): bigint {
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  nullableString(): string | null {
    const n = this.int16();
    if (n < 0) return null;
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    if (this.pos > this.buf.length) throw new RangeError('string runs past the frame');
    return s;
  }
  nullableBytes(): Buffer | null {
    const n = this.int32();
    if (n < 0) return null;
    if (this.pos + n > this.buf.length) throw new RangeError('bytes run past the frame');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

export interface PartitionRecords {
  topic: string;
  partition: number;
  records: Buffer | null;
}

export interface ProduceRequest {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  partitions: PartitionRecords[];
}

/** A whole Produce v3..v8 request frame (size prefix, request header v1, body). */
export function parseProduceRequest(frame: Buffer): ProduceRequest {
  const r = new Reader(frame);
  const size = r.int32();
  if (size !== frame.length - 4) throw new Error(`frame size ${size} does not match ${frame.length - 4}`);
  const apiKey = r.int16();
  const apiVersion = r.int16();
  if (apiKey !== 0 || apiVersion < 3 || apiVersion > 8) throw new Error(`not a Produce v3..v8 request: api ${apiKey} v${apiVersion}`);
  const correlationId = r.int32();
  const clientId = r.nullableString();
  const transactionalId = r.nullableString();
  const acks = r.int16();
  const timeoutMs = r.int32();
  const partitions: PartitionRecords[] = [];
  const topics = r.int32();
  for (let t = 0; t < topics; t++) {
    const topic = r.nullableString() ?? '';
    const parts = r.int32();
    for (let p = 0; p < parts; p++) {
      const partition = r.int32();
      partitions.push({ topic, partition, records: r.nullableBytes() });
    }
  }
  if (r.pos !== frame.length) throw new Error(`${frame.length - r.pos} bytes left after the Produce request`);
  return { apiKey, apiVersion, correlationId, clientId, transactionalId, acks, timeoutMs, partitions };
}

export interface FetchPartition extends PartitionRecords {
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  abortedTransactions: { producerId: bigint; firstOffset: bigint }[] | null;
}

/** A whole Fetch v4..v11 response frame (size prefix, response header v0, body). */
export function parseFetchResponse(frame: Buffer, version: number): FetchPartition[] {
  if (version < 4 || version > 11) throw new Error(`Fetch v${version} is not handled`);
  const r = new Reader(frame);
  const size = r.int32();
  if (size !== frame.length - 4) throw new Error(`frame size ${size} does not match ${frame.length - 4}`);
  r.int32(); // correlation id
  r.int32(); // throttle_time_ms
  if (version >= 7) {
    r.int16(); // error_code
    r.int32(); // session_id
  }
  const out: FetchPartition[] = [];
  const topics = r.int32();
  for (let t = 0; t < topics; t++) {
    const topic = r.nullableString() ?? '';
    const parts = r.int32();
    for (let p = 0; p < parts; p++) {
      const partition = r.int32();
      const errorCode = r.int16();
      const highWatermark = r.int64();
      const lastStableOffset = r.int64();
      if (version >= 5) r.int64(); // log_start_offset
      const n = r.int32();
      let abortedTransactions: FetchPartition['abortedTransactions'] = null;
      if (n >= 0) {
        abortedTransactions = [];
        for (let i = 0; i < n; i++) abortedTransactions.push({ producerId: r.int64(), firstOffset: r.int64() });
      }
      if (version >= 11) r.int32(); // preferred_read_replica
      out.push({ topic, partition, errorCode, highWatermark, lastStableOffset, abortedTransactions, records: r.nullableBytes() });
    }
  }
  if (r.pos !== frame.length) throw new Error(`${frame.length - r.pos} bytes left after the Fetch response`);
  return out;
}
