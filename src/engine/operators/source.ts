import type { RecordHeader } from '../../records/record.js';
import type { TopicCodec } from '../codec.js';
import type { InputBatch } from '../input-batch.js';
import { ExchangedRecord, Rec, type InputRecord } from '../records.js';
import { Operator } from './operator.js';
import type { UserFn } from './user-fn.js';

const NULL_VALUE = 'null value on a stream (tombstones belong to tables)';

/**
 * Reads one input topic: decodes key and value, extracts the event time, and hands the record to
 * the operators after it. Records that fail to decode, or whose timestamp extractor throws or
 * returns no finite number, go to the dead-letter topic.
 */
export class SourceOperator extends Operator {
  constructor(
    name: string,
    protected readonly keyCodec: TopicCodec,
    protected readonly valueCodec: TopicCodec,
    private readonly extractor: UserFn<number> | undefined,
    /** Headers the engine added upstream (formats, stamps) that user code should not see. */
    private readonly internal: boolean,
  ) {
    super(name);
  }

  /** Returns the record's event time, or NaN if it was dead-lettered. */
  ingest(input: InputRecord, stamp: number): number {
    const headers = this.internal ? stripEngineHeaders(input.headers) : input.headers;
    const rec = new Rec(null, null, input.timestamp, headers, stamp, input);
    if (input instanceof ExchangedRecord) return this.ingestExchanged(rec, input);
    return this.ingestParts(rec, input.key, input.value, input.headers);
  }

  /** A repartition record kept in this process: key and value are the writer's copies, taken as they are (no bytes). */
  private ingestExchanged(rec: Rec, input: ExchangedRecord): number {
    try {
      rec.key = input.keyFor(this.keyCodec);
      const value = input.valueFor(this.valueCodec);
      if (value === null) throw new Error(NULL_VALUE);
      rec.value = value;
    } catch (e) {
      this.ctx.deadLetter(rec, e, `${this.name} (deserialize)`);
      return NaN;
    }
    return this.afterDecode(rec);
  }

  /**
   * Record `i` of a columnar batch (the runtime's path): key and value are decoded in place, the
   * headers are parsed only when the record has any, and the InputRecord object only if someone
   * asks for the record's origin. Same results as `ingest(batch.record(i), stamp)`.
   */
  ingestAt(batch: InputBatch, i: number, stamp: number, valueSkip = 0): number {
    const raw = batch.hasHeaders(i) ? batch.headers(i) : Rec.NO_HEADERS;
    const headers = this.internal && raw.length > 0 ? stripEngineHeaders(raw) : raw;
    const rec = new Rec(null, null, batch.timestamp(i), headers, stamp, batch, i);
    if (batch.copy) return this.ingestParts(rec, batch.key(i), batch.value(i), raw);
    // Decoded where they lie in the fetched bytes: no key or value view per record. A repartition
    // record's value starts past its stamp (`valueSkip`, InputBatch.valueSkip; -1: a null value).
    const c = batch.columns;
    const chunk = c.chunks[c.chunkOf[i]!]!;
    try {
      rec.key = this.keyCodec.decodeRange(chunk, c.keyStarts[i]!, c.keyLengths[i]!, raw);
      const valueLength = valueSkip < 0 ? -1 : c.valueLengths[i]! - valueSkip;
      if (valueLength < 0) throw new Error(NULL_VALUE);
      rec.value = this.valueCodec.decodeRange(chunk, c.valueStarts[i]! + valueSkip, valueLength, raw);
    } catch (e) {
      this.ctx.deadLetter(rec, e, `${this.name} (deserialize)`);
      return NaN;
    }
    return this.afterDecode(rec);
  }

  private ingestParts(rec: Rec, key: Buffer | null, value: Buffer | null, rawHeaders: readonly RecordHeader[]): number {
    try {
      rec.key = this.keyCodec.decode(key, rawHeaders);
      if (value === null) throw new Error(NULL_VALUE);
      rec.value = this.valueCodec.decode(value, rawHeaders);
    } catch (e) {
      this.ctx.deadLetter(rec, e, `${this.name} (deserialize)`);
      return NaN;
    }
    return this.afterDecode(rec);
  }

  /** Event time from the extractor (if any), then downstream. */
  private afterDecode(rec: Rec): number {
    if (this.extractor) {
      let ts: number;
      try {
        ts = this.extractor(rec.value, rec.key, rec);
        if (typeof ts !== 'number' || !Number.isFinite(ts)) throw new Error(`timestamp extractor returned ${String(ts)}`);
      } catch (e) {
        this.ctx.deadLetter(rec, e, `${this.name} (timestamp)`);
        return NaN;
      }
      rec.timestamp = ts;
    }
    this.forward(rec);
    return rec.timestamp;
  }

  process(rec: Rec): void {
    this.forward(rec);
  }
}

const ENGINE_HEADER_PREFIX = 'tributary.';

/** The last list stripped and what it gave: record columns hand out one list for a run of records with the same header bytes. */
let lastRaw: readonly RecordHeader[] | undefined;
let lastStripped: readonly RecordHeader[] = Rec.NO_HEADERS;

export function stripEngineHeaders(headers: readonly RecordHeader[]): readonly RecordHeader[] {
  if (headers === lastRaw) return lastStripped;
  lastRaw = headers;
  return (lastStripped = withoutEngineHeaders(headers));
}

function withoutEngineHeaders(headers: readonly RecordHeader[]): readonly RecordHeader[] {
  let engine = 0;
  for (let i = 0; i < headers.length; i++) if (headers[i]!.key.startsWith(ENGINE_HEADER_PREFIX)) engine++;
  if (engine === 0) return headers;
  // Repartitioned records usually carry engine headers only: share the empty list, no array per record.
  if (engine === headers.length) return Rec.NO_HEADERS;
  return headers.filter((h) => !h.key.startsWith(ENGINE_HEADER_PREFIX));
}
