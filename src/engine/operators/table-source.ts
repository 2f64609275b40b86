import type { KeyValueStore } from '../../state/kv-store.js';
import type { TopicCodec } from '../codec.js';
import type { Serde } from '../serdes.js';
import type { InputBatch } from '../input-batch.js';
import { Rec, type InputRecord } from '../records.js';
import { SourceOperator } from './source.js';

/**
 * Reads a topic as a table. The store holds the topic's key and value bytes exactly as they are
 * on the topic, so the topic itself is the store's changelog (Kafka Streams' source-topic
 * optimization): nothing is written to a changelog, and restoring means replaying the topic.
 * A null value deletes the key. Records without a key cannot be in a table: dead-lettered.
 */
export class TableSourceOperator extends SourceOperator {
  private store!: KeyValueStore;

  constructor(
    name: string,
    private readonly storeName: string,
    private readonly keySerde: Serde<unknown>,
    keyCodec: TopicCodec,
    valueCodec: TopicCodec,
  ) {
    super(name, keyCodec, valueCodec, undefined, false);
  }

  override open(): void {
    this.store = this.ctx.store(this.storeName);
  }

  /** A table keeps the record's bytes: no columnar shortcut, the record as an object (copied, see decode.ts). */
  override ingestAt(batch: InputBatch, i: number, stamp: number): number {
    return this.ingest(batch.record(i), stamp);
  }

  override ingest(input: InputRecord, stamp: number): number {
    const rec = new Rec(null, null, input.timestamp, input.headers, stamp, input);
    if (input.key === null) {
      this.ctx.deadLetter(rec, new Error('a table record needs a key'), this.name);
      return NaN;
    }
    try {
      rec.key = this.keyCodec.decode(input.key, input.headers);
      rec.value = this.valueCodec.decode(input.value, input.headers);
    } catch (e) {
      this.ctx.deadLetter(rec, e, `${this.name} (deserialize)`);
      return NaN;
    }
    if (input.value === null) this.store.delete(input.key);
    else this.store.put(input.key, input.value);
    this.forward(rec);
    return input.timestamp;
  }

  get(key: unknown): unknown {
    const b = this.store.get(this.keySerde.serialize(key));
    if (!b) return undefined;
    return this.valueCodec.decode(b, Rec.NO_HEADERS);
  }
}
