import { TributaryError } from '../../records/errors.js';
import { RecordBatchBuilder } from '../../records/batch-builder.js';
import type { RecordInput } from '../../records/record.js';
import { ProducerFencedError, type LogProducer, type PartitionOffset, type ProducerRecord, type TopicPartition } from '../log.js';
import { CONSUMER_OFFSETS_TOPIC, type GroupOffsetsStore } from './group-offsets.js';
import { retryConcurrent } from './retry.js';

/**
 * What the producer needs of the transaction coordinator (Kafka's InitProducerId,
 * AddPartitionsToTxn, AddOffsetsToTxn, EndTxn): the log's TransactionCoordinator
 * (src/log/transactions) implements it; the seam keeps this file independent of its other APIs.
 */
export interface TxnCoordinator {
  initProducerId(transactionalId: string, transactionTimeoutMs: number): Promise<{ producerId: number; producerEpoch: number }>;
  addPartitions(transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly TopicPartition[]): Promise<void>;
  addOffsets(transactionalId: string, producerId: number, producerEpoch: number, groupId: string): Promise<void>;
  endTxn(transactionalId: string, producerId: number, producerEpoch: number, commit: boolean): Promise<void>;
}

/**
 * What the producer needs of a partition: the limits its batches must fit, and an append. A
 * LogManager's PartitionLog in this thread, or one served to a worker thread (connectors/threads).
 */
export interface ProducerPartition {
  readonly config: { readonly 'max.message.bytes': number; readonly 'segment.bytes': number };
  append(batch: Buffer): Promise<unknown>;
}

/** The partitions a producer writes to (a LogManager, or its stand-in in a worker thread). */
export interface ProducerLogs {
  partition(topic: string, partition: number): ProducerPartition;
}

/** What the producer needs of the group offsets store: where a group's offsets go, their records, the transaction's pending commits. */
export type ProducerOffsets = Pick<GroupOffsetsStore, 'partitionFor' | 'records' | 'addPending'>;

/**
 * Records sent to one partition since the last flush, already encoded: the open batch and the
 * full ones before it (a batch is cut where the next record would take it past `limit`).
 */
class PartitionBuffer {
  open = new RecordBatchBuilder();
  full: RecordBatchBuilder[] = [];
  bytes = 0;
  /** Largest batch: under max.message.bytes and segment.bytes (refreshed from the config at each flush). */
  limit: number;
  /** Next sequence number (per producer id and epoch; continues across transactions). */
  seq = 0;
  /** Part of the open transaction (AddPartitionsToTxn done). */
  inTxn = false;
  dirty = false;
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly log: ProducerPartition,
    private readonly batchBytes: number,
  ) {
    this.limit = this.batchLimit();
  }

  /**
   * Kafka refuses appends larger than max.message.bytes or a segment (MESSAGE_TOO_LARGE /
   * RECORD_LIST_TOO_LARGE): topics with small segments get smaller batches.
   */
  batchLimit(): number {
    const config = this.log.config;
    return Math.min(this.batchBytes, config['max.message.bytes'] - BATCH_OVERHEAD, config['segment.bytes'] - BATCH_OVERHEAD) + BATCH_OVERHEAD;
  }

  /** Encodes the record into the open batch (or a new one when it is full); returns its encoded size. */
  add(r: RecordInput): number {
    const size = this.open.append(r, this.limit);
    if (size > 0) return size;
    // A single record larger than the limit still gets a batch of its own (and the log's verdict).
    this.full.push(this.open);
    this.open = new RecordBatchBuilder();
    return this.open.append(r);
  }

  /** The buffered batches, in order, and the builders emptied (the first one kept for reuse). */
  take(): RecordBatchBuilder[] {
    const all = this.full;
    all.push(this.open);
    this.full = [];
    this.open = all[0]!;
    return all;
  }

  /** Drops what was buffered (an aborted transaction). */
  clear(): void {
    this.open.clear();
    this.full = [];
    this.bytes = 0;
    this.dirty = false;
  }
}

/** Target encoded size of one batch: below Kafka's default max.message.bytes (1 MiB) with room for estimate error. */
const DEFAULT_BATCH_BYTES = 900 * 1024;
/** RecordBatch v2's header, before the first record. */
const BATCH_OVERHEAD = 61;

/**
 * The embedded log's producer: encodes every record it is sent into its partition's open
 * RecordBatch v2 at once (src/records/batch-builder.ts: bytes, not objects, wait for the flush)
 * and, on flush, appends each partition's batches. A
 * transactional producer stamps its producer id, epoch and per-partition sequence numbers on
 * every batch, registers each partition with the coordinator before its first write in a
 * transaction, writes the group offsets as records of the transaction in `__consumer_offsets`,
 * and ends the transaction through the coordinator, which writes the markers.
 */
export class EmbeddedProducer implements LogProducer {
  private readonly byTopic = new Map<string, PartitionBuffer[]>();
  private lastTopic = '';
  private lastTopicBuffers: PartitionBuffer[] | undefined;
  private dirty: PartitionBuffer[] = [];
  private txnPartitions: PartitionBuffer[] = [];
  private pendingOffsets: Array<{ group: string; offsets: readonly PartitionOffset[] }> = [];
  private _bufferedBytes = 0;
  private _inTransaction = false;
  private fenced: ProducerFencedError | null = null;
  private closed = false;
  private readonly batchBytes: number;

  constructor(
    private readonly manager: ProducerLogs,
    private readonly offsets: ProducerOffsets,
    private readonly coordinator: TxnCoordinator | null,
    readonly transactionalId: string | undefined,
    readonly producerId: number,
    readonly producerEpoch: number,
    batchBytes: number | undefined,
  ) {
    this.batchBytes = Math.min(batchBytes ?? DEFAULT_BATCH_BYTES, DEFAULT_BATCH_BYTES);
  }

  get bufferedBytes(): number {
    return this._bufferedBytes;
  }

  get inTransaction(): boolean {
    return this._inTransaction;
  }

  send(r: ProducerRecord): void {
    if (this.fenced) throw this.fenced;
    if (this.closed) throw new TributaryError('INVALID_REQUEST', 'the producer is closed');
    let list: PartitionBuffer[] | undefined;
    if (r.topic === this.lastTopic && this.lastTopicBuffers !== undefined) list = this.lastTopicBuffers;
    else {
      list = this.byTopic.get(r.topic);
      if (!list) this.byTopic.set(r.topic, (list = []));
      this.lastTopic = r.topic;
      this.lastTopicBuffers = list;
    }
    let buf = list[r.partition];
    if (buf === undefined) buf = list[r.partition] = new PartitionBuffer(r.topic, r.partition, this.manager.partition(r.topic, r.partition), this.batchBytes);
    const size = buf.add(r);
    buf.bytes += size;
    this._bufferedBytes += size;
    if (!buf.dirty) {
      buf.dirty = true;
      this.dirty.push(buf);
    }
    if (this.transactionalId !== undefined) this._inTransaction = true;
  }

  beginTransaction(): void {
    this.requireTransactional();
    if (this.fenced) throw this.fenced;
    this._inTransaction = true;
  }

  sendOffsetsToTransaction(groupId: string, offsets: readonly PartitionOffset[]): void {
    this.requireTransactional();
    if (this.fenced) throw this.fenced;
    if (offsets.length === 0) return;
    const now = Date.now();
    const partition = this.offsets.partitionFor(groupId);
    for (const r of this.offsets.records(groupId, offsets, now)) {
      this.send({ topic: CONSUMER_OFFSETS_TOPIC, partition, timestamp: now, key: r.key as Buffer, value: r.value as Buffer, headers: [] });
    }
    this.pendingOffsets.push({ group: groupId, offsets });
  }

  async flush(): Promise<void> {
    if (this.fenced) throw this.fenced;
    const dirty = this.dirty;
    if (dirty.length === 0) return;
    this.dirty = [];
    try {
      if (this.transactionalId !== undefined) {
        const added = dirty.filter((b) => !b.inTxn);
        if (added.length > 0) {
          await retryConcurrent(() =>
            this.coordinator!.addPartitions(
              this.transactionalId!,
              this.producerId,
              this.producerEpoch,
              added.map((b): TopicPartition => ({ topic: b.topic, partition: b.partition })),
            ),
          );
          for (const b of added) {
            b.inTxn = true;
            this.txnPartitions.push(b);
          }
        }
      }
      const appends: Promise<unknown>[] = [];
      const sent: Array<{ b: PartitionBuffer; base: number }> = [];
      for (const b of dirty) {
        const batches = b.take();
        this._bufferedBytes -= b.bytes;
        b.bytes = 0;
        b.dirty = false;
        for (const batch of batches) {
          sent.push({ b, base: b.seq });
          appends.push(b.log.append(this.build(batch, b)));
        }
        b.limit = b.batchLimit();
      }
      const results = await Promise.allSettled(appends);
      const failed = results.findIndex((r) => r.status === 'rejected');
      if (failed >= 0) {
        // As Kafka's producer does: the log expects a refused batch's sequence numbers next, so a
        // partition's sequence goes back to its first refused batch (the later ones were refused
        // as out of order), and the transaction after the abort appends in order.
        for (let i = results.length - 1; i >= 0; i--) if (results[i]!.status === 'rejected') sent[i]!.b.seq = sent[i]!.base;
        throw (results[failed] as PromiseRejectedResult).reason;
      }
    } catch (e) {
      throw this.translate(e);
    }
  }

  /** One RecordBatch; a transactional producer stamps id, epoch and the partition's next sequence. */
  private build(batch: RecordBatchBuilder, b: PartitionBuffer): Buffer {
    if (this.transactionalId === undefined) return batch.build();
    const n = batch.count;
    const bytes = batch.build({ producerId: this.producerId, producerEpoch: this.producerEpoch, baseSequence: b.seq, transactional: true });
    b.seq = (b.seq + n) % 0x80000000;
    return bytes;
  }

  async commitTransaction(): Promise<void> {
    this.requireTransactional();
    if (this.fenced) throw this.fenced;
    if (!this._inTransaction) return;
    try {
      // AddOffsetsToTxn before the offsets are written (Kafka's order): the group's offsets
      // partition gets the transaction's marker and the group is named in its completion.
      for (const group of new Set(this.pendingOffsets.map((p) => p.group))) {
        await retryConcurrent(() => this.coordinator!.addOffsets(this.transactionalId!, this.producerId, this.producerEpoch, group));
      }
    } catch (e) {
      throw this.translate(e);
    }
    await this.flush();
    try {
      for (const p of this.pendingOffsets) this.offsets.addPending(this.producerId, p.group, p.offsets);
      this.pendingOffsets = [];
      if (this.txnPartitions.length > 0) {
        await retryConcurrent(() => this.coordinator!.endTxn(this.transactionalId!, this.producerId, this.producerEpoch, true));
      }
    } catch (e) {
      throw this.translate(e);
    }
    this.endTxnLocally();
  }

  async abortTransaction(): Promise<void> {
    this.requireTransactional();
    for (const b of this.dirty) {
      this._bufferedBytes -= b.bytes;
      b.clear();
    }
    this.dirty = [];
    this.pendingOffsets = [];
    if (this.fenced) throw this.fenced;
    try {
      if (this.txnPartitions.length > 0) {
        await retryConcurrent(() => this.coordinator!.endTxn(this.transactionalId!, this.producerId, this.producerEpoch, false));
      }
    } catch (e) {
      throw this.translate(e);
    }
    this.endTxnLocally();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.fenced) return;
    if (this.transactionalId !== undefined) {
      if (this._inTransaction) await this.abortTransaction().catch(() => {});
    } else {
      await this.flush();
    }
  }

  private endTxnLocally(): void {
    for (const b of this.txnPartitions) b.inTxn = false;
    this.txnPartitions = [];
    this._inTransaction = false;
  }

  private requireTransactional(): void {
    if (this.transactionalId === undefined) throw new TributaryError('INVALID_TXN_STATE', 'not a transactional producer');
  }

  /** Epoch errors from the coordinator or a partition mean a newer producer took over. */
  private translate(e: unknown): unknown {
    const code = e instanceof TributaryError ? e.code : undefined;
    if (code === 'PRODUCER_FENCED' || code === 'INVALID_PRODUCER_EPOCH') {
      this.fenced ??= new ProducerFencedError(
        `producer ${this.producerId} (epoch ${this.producerEpoch}) of transactional id ${this.transactionalId} was fenced: ${(e as Error).message}`,
        { cause: e },
      );
      return this.fenced;
    }
    return e;
  }
}
