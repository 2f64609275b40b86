import type { RecordHeader } from '../../records/record.js';
import type { TopicCodec } from '../codec.js';
import { defaultPartition, type Partitioner } from '../partitioner.js';
import type { Rec } from '../records.js';
import { encodeDouble, STAMP_HEADER } from '../watermarks.js';
import { Operator } from './operator.js';

/**
 * Writes records to a topic: an output topic of the application, or a repartition topic (then
 * the record's watermark stamp travels along in a header, see watermarks.ts). The partition is
 * the partitioner's choice, by default Kafka's murmur2 of the key bytes; null keys go
 * round-robin. A record that fails to serialize, or a partitioner that throws or answers out of
 * range, sends the record to the dead-letter topic.
 */
export class SinkOperator extends Operator {
  private partitions = 0;
  private roundRobin = 0;
  private lastStamp = NaN;
  private stampHeader: RecordHeader | undefined;

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
  }

  process(rec: Rec): void {
    // A new headers array only when something is added to it: most records carry none.
    const extend = this.internal || this.keyCodec.addsHeader || this.valueCodec.addsHeader;
    const headers: RecordHeader[] = extend ? [...rec.headers] : (rec.headers as RecordHeader[]);
    let key: Buffer | null;
    let value: Buffer | null;
    let partition: number;
    try {
      key = this.keyCodec.encode(rec.key, headers);
      value = this.valueCodec.encode(rec.value, headers);
      const n = this.partitions;
      if (this.partitioner) {
        partition = this.partitioner(rec.key, rec.value, key, n);
        if (!Number.isInteger(partition) || partition < 0 || partition >= n) {
          throw new Error(`partitioner returned ${partition} for a topic of ${n} partitions`);
        }
      } else {
        partition = key ? defaultPartition(key, n) : this.roundRobin++ % n;
      }
    } catch (e) {
      this.ctx.deadLetter(rec, e, this.name);
      return;
    }
    if (this.internal) {
      // Stamps repeat across consecutive records (a partition's watermark moves in steps): one header for a run of them.
      if (rec.stamp !== this.lastStamp || this.stampHeader === undefined) {
        this.lastStamp = rec.stamp;
        this.stampHeader = { key: STAMP_HEADER, value: encodeDouble(rec.stamp) };
      }
      headers.push(this.stampHeader);
    }
    this.ctx.send(this.topic, partition, rec.timestamp, key, value, headers);
  }
}
