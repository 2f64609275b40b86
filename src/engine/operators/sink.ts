import { murmur2Ascii, toPositive } from '../../records/murmur2.js';
import type { RecordHeader } from '../../records/record.js';
import { NOT_COPIED, type TopicCodec } from '../codec.js';
import { defaultPartition, type Partitioner } from '../partitioner.js';
import { AS_BYTES, ExchangedRecord, type Rec } from '../records.js';
import { stampValue } from '../stamped-value.js';
import { encodeDouble, STAMP_HEADER } from '../watermarks.js';
import { Operator } from './operator.js';

/**
 * Writes records to a topic: an output topic of the application, or a repartition topic (then
 * the record's watermark stamp travels along before the value, see stamped-value.ts; in a header
 * when the record stays in this process). The partition is
 * the partitioner's choice, by default Kafka's murmur2 of the key bytes; null keys go
 * round-robin. A record that fails to serialize, or a partitioner that throws or answers out of
 * range, sends the record to the dead-letter topic.
 */
export class SinkOperator extends Operator {
  private partitions = 0;
  private roundRobin = 0;
  private lastStamp = NaN;
  private stampHeader: RecordHeader | undefined;
  /** [stampHeader]: the headers of a repartitioned record that has no others (most), shared by a run of them. */
  private stampOnly: readonly RecordHeader[] = [];
  /** Headers this sink adds to the record being written (reused: copied when not empty). */
  private readonly added: RecordHeader[] = [];
  /** The topic is a repartition kept in this process: key and value go as copies (Serde.copy), not bytes. */
  private handOver = false;

  constructor(
    name: string,
    readonly topic: string,
    private readonly keyCodec: TopicCodec,
    private readonly valueCodec: TopicCodec,
    private readonly partitioner: Partitioner<unknown, unknown> | undefined,
    private readonly internal: boolean,
  ) {
    super(name);
  }

  override open(): void {
    this.partitions = this.ctx.partitionsFor(this.topic);
    this.handOver = this.internal && this.ctx.handsOver(this.topic);
  }

  process(rec: Rec): void {
    this.write(rec, rec.key, rec.value);
  }

  /**
   * Writes `rec` with `key` and `value` in place of its own (a fused stateless run hands over the
   * key and value it computed without making a Rec for them; the Rec is made only for a dead letter).
   */
  write(rec: Rec, recKey: unknown, recValue: unknown): void {
    if (this.handOver) {
      this.handOverRecord(rec, recKey, recValue);
      return;
    }
    // Format headers (auto format) go to a scratch list first: most records get none, and then
    // need no headers array of their own.
    const added = this.added;
    // Setting length is a runtime call even when it changes nothing: most records add no header.
    if (added.length !== 0) added.length = 0;
    let key: Buffer | null;
    let value: Buffer | null;
    let partition: number;
    try {
      key = this.keyCodec.encode(recKey, added);
      value = this.valueCodec.encode(recValue, added);
      const n = this.partitions;
      if (this.partitioner) {
        partition = this.partitioner(recKey, recValue, key, n);
        if (!Number.isInteger(partition) || partition < 0 || partition >= n) {
          throw new Error(`partitioner returned ${partition} for a topic of ${n} partitions`);
        }
      } else {
        partition = key ? defaultPartition(key, n) : this.roundRobin++ % n;
      }
    } catch (e) {
      this.ctx.deadLetter(recKey === rec.key && recValue === rec.value ? rec : rec.with(recKey, recValue), e, this.name);
      return;
    }
    // A repartition record's stamp goes before its value's bytes (stamped-value.ts).
    if (this.internal) value = stampValue(rec.stamp, value);
    const headers = added.length === 0 ? rec.headers : rec.headers.length === 0 ? added.slice() : [...rec.headers, ...added];
    this.ctx.send(this.topic, partition, rec.timestamp, key, value, headers);
  }

  /**
   * A repartition kept in this process (docs/runtime.md, "Repartition in memory"): the reading
   * task gets the copies the serdes make (what their round trip would give), a side that cannot be
   * copied goes as bytes. The key's bytes are made only when the partition depends on them. Same
   * partition, headers, dead letters and stamp as the bytes path below.
   */
  private handOverRecord(rec: Rec, recKey: unknown, recValue: unknown): void {
    const added = this.added;
    if (added.length !== 0) added.length = 0;
    let keyObject: unknown;
    let valueObject: unknown;
    let key: Buffer | null | undefined;
    let value: Buffer | null | undefined;
    let partition: number;
    try {
      keyObject = this.keyCodec.copy(recKey, added);
      if (keyObject === NOT_COPIED) {
        keyObject = AS_BYTES;
        key = this.keyCodec.encode(recKey, added);
      }
      valueObject = this.valueCodec.copy(recValue, added);
      if (valueObject === NOT_COPIED) {
        valueObject = AS_BYTES;
        value = this.valueCodec.encode(recValue, added);
      }
      const n = this.partitions;
      let h: number;
      if (!this.partitioner && n > 1 && key === undefined && typeof recKey === 'string' && this.keyCodec.utf8Strings && (h = murmur2Ascii(recKey)) !== -1) {
        // An ASCII key's UTF-8 bytes are its char codes: hashed as they are, no key bytes made.
        partition = toPositive(h) % n;
      } else if (this.partitioner || n > 1) {
        if (key === undefined) key = this.keyCodec.encode(recKey, []);
        if (this.partitioner) {
          partition = this.partitioner(recKey, recValue, key, n);
          if (!Number.isInteger(partition) || partition < 0 || partition >= n) {
            throw new Error(`partitioner returned ${partition} for a topic of ${n} partitions`);
          }
        } else {
          partition = key ? defaultPartition(key, n) : this.roundRobin++ % n;
        }
      } else {
        partition = 0;
      }
    } catch (e) {
      this.ctx.deadLetter(recKey === rec.key && recValue === rec.value ? rec : rec.with(recKey, recValue), e, this.name);
      return;
    }
    if (rec.stamp !== this.lastStamp || this.stampHeader === undefined) {
      this.lastStamp = rec.stamp;
      this.stampHeader = { key: STAMP_HEADER, value: encodeDouble(rec.stamp) };
      this.stampOnly = [this.stampHeader];
    }
    let headers: readonly RecordHeader[];
    if (added.length === 0 && rec.headers.length === 0) headers = this.stampOnly;
    else {
      added.push(this.stampHeader);
      headers = rec.headers.length === 0 ? added.slice() : [...rec.headers, ...added];
    }
    this.ctx.sendRecord(new ExchangedRecord(this.topic, partition, rec.timestamp, headers, this.keyCodec, keyObject, key, this.valueCodec, valueObject, value));
  }
}
