import type { RecordHeader } from '../../records/record.js';
import type { TopicCodec } from '../codec.js';
import { Rec, type InputRecord } from '../records.js';
import { Operator } from './operator.js';
import type { UserFn } from './user-fn.js';

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
    try {
      rec.key = this.keyCodec.decode(input.key, input.headers);
      if (input.value === null) throw new Error('null value on a stream (tombstones belong to tables)');
      rec.value = this.valueCodec.decode(input.value, input.headers);
    } catch (e) {
      this.ctx.deadLetter(rec, e, `${this.name} (deserialize)`);
      return NaN;
    }
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

export function stripEngineHeaders(headers: readonly RecordHeader[]): readonly RecordHeader[] {
  let engine = 0;
  for (let i = 0; i < headers.length; i++) if (headers[i]!.key.startsWith(ENGINE_HEADER_PREFIX)) engine++;
  if (engine === 0) return headers;
  // Repartitioned records usually carry engine headers only: share the empty list, no array per record.
  if (engine === headers.length) return Rec.NO_HEADERS;
  return headers.filter((h) => !h.key.startsWith(ENGINE_HEADER_PREFIX));
}
