import type { RecordHeader } from '../records/record.js';
import { InputBatch } from './input-batch.js';

export type { RecordHeader };

/**
 * A record as the runtime hands it to a task: decoded from a RecordBatch, key and value still
 * bytes. Offsets are those of the input partition; the runtime commits them with the outputs.
 */
export interface InputRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The record's timestamp (CreateTime or LogAppendTime). */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
}

/** A record a task produces; the task has already chosen the partition. */
export interface OutputRecord {
  readonly topic: string;
  readonly partition: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
}

/** Receives every record a task produces (outputs, repartition records, watermark markers, dead letters). */
export interface RecordCollector {
  send(record: OutputRecord): void;
}

/** A key and a value, as returned by map() and flatMap(). */
export type KeyValue<K, V> = readonly [key: K, value: V];

/**
 * What user functions see of the record being processed, besides its key and value.
 * `topic`/`partition`/`offset` are those of the input record it came from (undefined for records
 * made by a timer, e.g. a window result).
 */
export interface RecordContext {
  /** Event time, ms. */
  readonly timestamp: number;
  readonly headers: readonly RecordHeader[];
  readonly topic: string | undefined;
  readonly partition: number | undefined;
  readonly offset: number | undefined;
}

const NO_HEADERS: readonly RecordHeader[] = Object.freeze([]) as readonly RecordHeader[];

/**
 * A record inside a task, between operators. Operators make a new one when key or value change
 * (one object per record per transforming operator, no closures) and pass it on synchronously.
 *
 * `stamp` is the watermark of the record's source partition just before the record was read
 * there; it travels with the record (across repartition topics too, in a header) and decides
 * lateness together with the operator's own watermark — see docs/semantics.md, "Lateness".
 */
export class Rec implements RecordContext {
  /**
   * The input record this one derives from, or the input batch holding it (record `at` of it):
   * records read from a fetch get their InputRecord object only if someone asks for `origin`.
   */
  private src: InputRecord | InputBatch | undefined;

  constructor(
    public key: unknown,
    public value: unknown,
    public timestamp: number,
    public headers: readonly RecordHeader[],
    public stamp: number,
    /** The input record this one derives from (for the dead-letter topic), or the batch holding it. */
    origin: InputRecord | InputBatch | undefined,
    private readonly at = 0,
  ) {
    this.src = origin;
  }

  /** The input record this one derives from, for the dead-letter topic. */
  get origin(): InputRecord | undefined {
    const s = this.src;
    if (s instanceof InputBatch) return (this.src = s.record(this.at));
    return s;
  }

  get topic(): string | undefined {
    return this.src?.topic;
  }
  get partition(): number | undefined {
    return this.src?.partition;
  }
  get offset(): number | undefined {
    const s = this.src;
    return s instanceof InputBatch ? s.offset(this.at) : s?.offset;
  }

  with(key: unknown, value: unknown): Rec {
    return new Rec(key, value, this.timestamp, this.headers, this.stamp, this.src, this.at);
  }

  static NO_HEADERS = NO_HEADERS;
}
