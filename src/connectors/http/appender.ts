import { encodeRecordBatch } from '../../records/record-batch.js';
import { EmbeddedLog } from '../embedded/index.js';
import type { Log, LogProducer, ProducerRecord } from '../log.js';

/** Where one partition's share of a request went. */
export interface AppendedRange {
  readonly partition: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly count: number;
}

/** Batches stay well below Kafka's default max.message.bytes (1 MiB). */
const MAX_BATCH_BYTES = 512 * 1024;

/**
 * Writes a request's records and resolves once they are durable (under the log's fsync
 * policy), with the offsets they got where the log reports them: on the embedded log each
 * partition's records are appended as batches straight to the partition, whose append returns
 * the offsets; on other logs (a plain producer's flush reports none) the offsets are null.
 */
export class RecordAppender {
  private producer: Promise<LogProducer> | null = null;

  constructor(private readonly log: Log) {}

  async append(records: readonly ProducerRecord[]): Promise<AppendedRange[] | null> {
    if (this.log instanceof EmbeddedLog) return this.appendEmbedded(this.log, records);
    const producer = await (this.producer ??= this.log.producer());
    for (const r of records) producer.send(r);
    await producer.flush();
    return null;
  }

  private async appendEmbedded(log: EmbeddedLog, records: readonly ProducerRecord[]): Promise<AppendedRange[]> {
    const byPartition = new Map<number, ProducerRecord[]>();
    for (const r of records) {
      let list = byPartition.get(r.partition);
      if (!list) byPartition.set(r.partition, (list = []));
      list.push(r);
    }
    return Promise.all(
      [...byPartition].map(async ([partition, list]) => {
        const p = log.manager.partition(list[0]!.topic, partition);
        let base = -1;
        let last = -1;
        // Batches of one partition in order, one after the other: the request's order is the log's.
        for (let from = 0; from < list.length; ) {
          let to = from;
          let size = 0;
          while (to < list.length && (to === from || size < MAX_BATCH_BYTES)) {
            size += 64 + (list[to]!.key?.length ?? 0) + (list[to]!.value?.length ?? 0);
            to++;
          }
          const r = await p.append(encodeRecordBatch({ records: list.slice(from, to) }));
          if (base < 0) base = r.baseOffset;
          last = r.lastOffset;
          from = to;
        }
        return { partition, baseOffset: base, lastOffset: last, count: list.length };
      }),
    );
  }

  async close(): Promise<void> {
    const p = this.producer;
    this.producer = null;
    if (p) await (await p).close();
  }
}
