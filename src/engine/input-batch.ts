import type { RecordColumns } from '../records/record-columns.js';
import { NO_HEADERS, type RecordHeader } from '../records/record.js';
import type { InputRecord } from './records.js';
import { readStamp, recordStampSkip, withoutStamp } from './stamped-value.js';

/**
 * Records of one input partition as the runtime hands them to a task: the columns a fetch was
 * decoded into (src/records/record-columns.ts), records [from, to) of them. A task reads offsets
 * and timestamps from typed arrays and asks for a record's key and value bytes (views, or copies
 * with `copy`) and headers only when its sources need them; there is no object per record unless
 * someone asks for one (`record(i)`: the dead-letter topic, RecordContext of a kept record).
 *
 * The columns are never reused for another fetch: records made from a batch may outlive it.
 */
export class InputBatch {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly columns: RecordColumns,
    readonly from: number,
    readonly to: number,
    /** Keys and values are copied out of the fetched bytes (inputs whose bytes a store keeps). */
    readonly copy: boolean,
    /** A repartition topic's: values start with the writer's stamp (stamped-value.ts), which `value(i)` leaves out. */
    readonly stamped = false,
  ) {}

  get length(): number {
    return this.to - this.from;
  }

  /** Records [from, to) of the same columns (absolute indexes). */
  slice(from: number, to: number): InputBatch {
    return new InputBatch(this.topic, this.partition, this.columns, from, to, this.copy, this.stamped);
  }

  offset(i: number): number {
    return this.columns.offsets[i]!;
  }

  timestamp(i: number): number {
    return this.columns.timestamps[i]!;
  }

  key(i: number): Buffer | null {
    const k = this.columns.key(i);
    return this.copy && k !== null ? Buffer.from(k) : k;
  }

  value(i: number): Buffer | null {
    let v = this.columns.value(i);
    if (v !== null) v = withoutStamp(v, this.valueSkip(i));
    return this.copy && v !== null ? Buffer.from(v) : v;
  }

  /**
   * Where record i's value bytes start past a stamp (stampSkip: STAMP_PREFIX, or -1 for a null
   * value); 0 on other topics, and for a record whose stamp is in a header (earlier versions).
   */
  valueSkip(i: number): number {
    if (!this.stamped) return 0;
    const c = this.columns;
    const headers = c.headerCounts[i] !== 0 ? c.headers(i) : NO_HEADERS;
    return recordStampSkip(headers, c.chunks[c.chunkOf[i]!]!, c.valueStarts[i]!, c.valueLengths[i]!);
  }

  /** The stamp before record i's value (valueSkip(i) answered non-zero). */
  stampOf(i: number): number {
    const c = this.columns;
    return readStamp(c.chunks[c.chunkOf[i]!]!, c.valueStarts[i]!);
  }

  hasHeaders(i: number): boolean {
    return this.columns.headerCounts[i] !== 0;
  }

  headers(i: number): readonly RecordHeader[] {
    return this.columns.headers(i);
  }

  /** Record i as an object (new key/value views each call). */
  record(i: number): InputRecord {
    return {
      topic: this.topic,
      partition: this.partition,
      offset: this.offset(i),
      timestamp: this.timestamp(i),
      key: this.key(i),
      value: this.value(i),
      headers: this.headers(i),
    };
  }
}
