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
  /**
   * Whether records for `topic` stay in this process and may be sent as ExchangedRecords (key and
   * value objects, bytes made only if asked for): the local exchange's repartition topics.
   */
  handsOver?(topic: string): boolean;
}

/** What ExchangedRecord needs of the writing sink's codecs (TopicCodec). */
export interface ExchangeCodec {
  encode(v: unknown, headers: RecordHeader[]): Buffer | null;
  sameAs(other: ExchangeCodec): boolean;
  decode(b: Buffer | null, headers: readonly RecordHeader[]): unknown;
}

/** ExchangedRecord's key or value when that side went as bytes (its serde could not copy it). */
export const AS_BYTES: unique symbol = Symbol('as bytes');

/**
 * A repartition record that stays in this process (src/engine/runtime/local-exchange.ts): the
 * key and value are the copies the writing sink's serdes made (Serde.copy), handed to the
 * reading source as they are; a side its serde could not copy holds bytes, as on the topic. It is
 * an OutputRecord for the exchange and an InputRecord for the reading task; `key`/`value` (the
 * bytes: a dead letter's, an error's) are encoded from the objects on first use only.
 */
export class ExchangedRecord implements OutputRecord, InputRecord {
  /** Position in the exchange's queue for this partition (set when queued). */
  offset = 0;
  private keyBytes: Buffer | null | undefined;
  private valueBytes: Buffer | null | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly timestamp: number,
    readonly headers: readonly RecordHeader[],
    private readonly keyCodec: ExchangeCodec,
    /** The key's copy, or AS_BYTES (then `keyBytes` holds them). */
    private readonly keyObject: unknown,
    keyBytes: Buffer | null | undefined,
    private readonly valueCodec: ExchangeCodec,
    private readonly valueObject: unknown,
    valueBytes: Buffer | null | undefined,
  ) {
    this.keyBytes = keyBytes;
    this.valueBytes = valueBytes;
  }

  get key(): Buffer | null {
    if (this.keyBytes === undefined) this.keyBytes = this.keyCodec.encode(this.keyObject, []);
    return this.keyBytes;
  }

  get value(): Buffer | null {
    if (this.valueBytes === undefined) this.valueBytes = this.valueCodec.encode(this.valueObject, []);
    return this.valueBytes;
  }

  /** The key as `codec` decodes it: the copy itself when `codec` reads what the writer's codec writes. */
  keyFor(codec: ExchangeCodec): unknown {
    if (this.keyObject !== AS_BYTES && codec.sameAs(this.keyCodec)) return this.keyObject;
    return codec.decode(this.key, this.headers);
  }

  /** The value as `codec` decodes it (see keyFor); null for a null value, as its bytes would be. */
  valueFor(codec: ExchangeCodec): unknown {
    if (this.valueObject !== AS_BYTES && codec.sameAs(this.valueCodec)) return this.valueObject;
    const b = this.value;
    return b === null ? null : codec.decode(b, this.headers);
  }
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
