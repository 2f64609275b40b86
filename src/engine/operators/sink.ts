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
  /** [stampHeader]: the headers of a repartitioned record that has no others (most), shared by a run of them. */
  private stampOnly: readonly RecordHeader[] = [];
  /** Headers this sink adds to the record being written (reused: copied when not empty). */
  private readonly added: RecordHeader[] = [];

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
    // Format headers (auto format) go to a scratch list first: most records get none, and then
    // need no headers array of their own.
    const added = this.added;
    // Setting length is a runtime call even when it changes nothing: most records add no header.
    if (added.length !== 0) added.length = 0;
    let key: Buffer | null;
    let value: Buffer | null;
    let partition: number;
    try {
      key = this.keyCodec.encode(rec.key, added);
      value = this.valueCodec.encode(rec.value, added);
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
        this.stampOnly = [this.stampHeader];
      }
      if (added.length === 0 && rec.headers.length === 0) {
        // Nobody changes a record's headers array once sent: one array for the run of records with this stamp.
        this.ctx.send(this.topic, partition, rec.timestamp, key, value, this.stampOnly);
        return;
      }
      added.push(this.stampHeader);
    }
    const headers = added.length === 0 ? rec.headers : rec.headers.length === 0 ? added.slice() : [...rec.headers, ...added];
    this.ctx.send(this.topic, partition, rec.timestamp, key, value, headers);
  }
}
