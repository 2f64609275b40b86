import type { ConsumerGroupMetadata, LogProducer, PartitionOffset, ProducerRecord } from '../../connectors/log.js';

/**
 * The runtime's producer, which can flush without holding up the loop. When the buffered records
 * pass the backpressure bound, `flushAhead()` sends them while the loop goes on processing: what a
 * Kafka producer's sender thread does with full batches. Awaiting each such flush left the loop
 * idle for a Produce round trip per megabyte of output.
 *
 * At most one flush ahead is under way. Every other call that sends waits for it first: flush,
 * commit, abort and close. So a partition's batches still go out in order, and a commit covers
 * every record sent before it. A flush ahead's error is thrown by the next `settle()`, flush or
 * commit, as a Kafka producer reports a failed send at the next flush or commit. An abort or a close
 * waits for it and drops its error.
 */
export class FlushAheadProducer implements LogProducer {
  private ahead: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;

  constructor(private readonly inner: LogProducer) {}

  get transactionalId(): string | undefined {
    return this.inner.transactionalId;
  }

  get producerId(): number {
    return this.inner.producerId;
  }

  get producerEpoch(): number {
    return this.inner.producerEpoch;
  }

  get bufferedBytes(): number {
    return this.inner.bufferedBytes;
  }

  get inTransaction(): boolean {
    return this.inner.inTransaction;
  }

  /** Whether a flush ahead is under way. */
  get flushing(): boolean {
    return this.ahead !== undefined;
  }

  send(record: ProducerRecord): void {
    this.inner.send(record);
  }

  /** Starts flushing what is buffered, not awaited; false (nothing started) while one is still under way. */
  flushAhead(): boolean {
    if (this.ahead) return false;
    this.ahead = this.inner
      .flush()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => {
        this.ahead = undefined;
      });
    return true;
  }

  /** Waits for the flush ahead under way, if any; throws the error of one that failed. */
  async settle(): Promise<void> {
    if (this.ahead) await this.ahead;
    const f = this.failure;
    if (f) {
      this.failure = undefined;
      throw f.error;
    }
  }

  async flush(): Promise<void> {
    await this.settle();
    await this.inner.flush();
  }

  beginTransaction(): void {
    this.inner.beginTransaction();
  }

  sendOffsetsToTransaction(groupId: string, offsets: readonly PartitionOffset[], group?: ConsumerGroupMetadata): void {
    this.inner.sendOffsetsToTransaction(groupId, offsets, group);
  }

  async commitTransaction(): Promise<void> {
    await this.settle();
    await this.inner.commitTransaction();
  }

  async abortTransaction(): Promise<void> {
    await this.settle().catch(() => {});
    await this.inner.abortTransaction();
  }

  async close(): Promise<void> {
    await this.settle().catch(() => {});
    await this.inner.close();
  }
}
