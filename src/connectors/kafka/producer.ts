import type { ConnectionPool } from '@platformatic/kafka';
import { ApiKeys } from '../../protocol/api-keys.js';
import { TributaryError } from '../../records/errors.js';
import { encodeRecordBatch } from '../../records/record-batch.js';
import type { Compression } from '../../records/compression/index.js';
import type { RecordInput } from '../../records/record.js';
import {
  ProducerFencedError,
  tpKey,
  type ConsumerGroupMetadata,
  type LogProducer,
  type PartitionOffset,
  type ProducerRecord,
} from '../log.js';
import { cutBySize, recordSizeBound } from '../records.js';
import { COORDINATOR_GROUP, COORDINATOR_TRANSACTION, type BrokerAddress, type KafkaClient } from './client.js';
import { CODES, FENCING, GroupMembershipLostError, KafkaResponseError, MEMBERSHIP_LOST, check, isRetriable } from './errors.js';

class PartitionBuffer {
  records: RecordInput[] = [];
  bytes = 0;
  /** Next sequence number for this producer id and epoch (transactional producers). */
  seq = 0;
  inTxn = false;
  dirty = false;
  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}
}

/** One batch's target size: under Kafka's default max.message.bytes (1 MiB) with room for the estimate's error. */
const DEFAULT_BATCH_BYTES = 900 * 1024;
/** Kafka's produce timeout (the broker waits this long for min.insync.replicas acknowledgements). */
const PRODUCE_TIMEOUT_MS = 30_000;

/**
 * The Kafka producer of the Log interface: buffers records per partition and, on flush, encodes
 * each partition's records into RecordBatch v2 (src/records, so every codec of that layer works,
 * zstd included) and sends them with Produce (acks=all), one batch per partition and request as
 * Kafka requires of idempotent producers, to each partition's leader.
 *
 * Transactional (Kafka's protocol, the classic one that Kafka 4.x and `tributary broker` speak):
 * InitProducerId registers the transactional id (a new epoch fences older producers and aborts
 * what they left open); AddPartitionsToTxn before a partition's first batch in a transaction;
 * sendOffsetsToTransaction is AddOffsetsToTxn + TxnOffsetCommit at commit, with the group's
 * generation and member id when a group-managed consumer gave them (EOS-v2: a member fenced out
 * of the group cannot commit its offsets); EndTxn commits or aborts. Fencing errors
 * (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH, ...) become ProducerFencedError, final for this producer.
 */
export class KafkaProducer implements LogProducer {
  private readonly buffers = new Map<string, PartitionBuffer>();
  /**
   * The buffer of the last send (buffers are never replaced): a sink sends runs of records to one
   * partition, and building the key string and looking it up was ~4 % of a stateless query's CPU.
   */
  private last: PartitionBuffer | undefined;
  private dirty: PartitionBuffer[] = [];
  private txnPartitions: PartitionBuffer[] = [];
  private pendingOffsets: Array<{ group: string; offsets: readonly PartitionOffset[]; member: ConsumerGroupMetadata | undefined }> = [];
  private _bufferedBytes = 0;
  private _inTransaction = false;
  private fenced: ProducerFencedError | null = null;
  private closed = false;
  private readonly batchBytes: number;
  private readonly pool: ConnectionPool;
  /**
   * A plain producer's idempotent identity (Kafka's enable.idempotence, the default since Kafka
   * 3.0): batches carry a producer id and per-partition sequence numbers, so a Produce retried
   * after a lost answer (a leader killed between replicating a batch and answering) is recognised
   * as a duplicate instead of being written twice. Asked for at the first flush; dropped after a
   * failed flush, when what the leaders hold is unknown (the next flush starts a new id at sequence 0).
   */
  private idempotent: { producerId: number; producerEpoch: number } | null = null;

  private constructor(
    private readonly client: KafkaClient,
    readonly transactionalId: string | undefined,
    readonly producerId: number,
    readonly producerEpoch: number,
    batchBytes: number | undefined,
    private readonly compression: Compression,
    pool: ConnectionPool,
  ) {
    this.batchBytes = Math.min(batchBytes ?? DEFAULT_BATCH_BYTES, DEFAULT_BATCH_BYTES);
    this.pool = pool;
  }

  static async create(
    client: KafkaClient,
    options: { transactionalId?: string; transactionTimeoutMs?: number; batchBytes?: number; compression?: Compression },
  ): Promise<KafkaProducer> {
    const pool = client.newPool();
    const compression = options.compression ?? 'none';
    const tid = options.transactionalId;
    if (tid === undefined) return new KafkaProducer(client, undefined, -1, -1, options.batchBytes, compression, pool);
    const r = await client.retry(`InitProducerId(${tid})`, async () => {
      const coord = await client.coordinator(COORDINATOR_TRANSACTION, tid);
      const res = await client.call(coord, ApiKeys.InitProducerId, { transactionalId: tid, transactionTimeoutMs: options.transactionTimeoutMs ?? 60_000, producerId: -1n, producerEpoch: -1 }, pool);
      check(res.errorCode, `InitProducerId(${tid})`);
      return res;
    });
    return new KafkaProducer(client, tid, Number(r.producerId), r.producerEpoch, options.batchBytes, compression, pool);
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
    let buf = this.last;
    if (buf === undefined || buf.partition !== r.partition || buf.topic !== r.topic) {
      const key = tpKey(r.topic, r.partition);
      buf = this.buffers.get(key);
      if (!buf) this.buffers.set(key, (buf = new PartitionBuffer(r.topic, r.partition)));
      this.last = buf;
    }
    buf.records.push(r);
    const size = recordSizeBound(r);
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

  sendOffsetsToTransaction(groupId: string, offsets: readonly PartitionOffset[], group?: ConsumerGroupMetadata): void {
    this.requireTransactional();
    if (this.fenced) throw this.fenced;
    if (offsets.length === 0) return;
    this.pendingOffsets.push({ group: groupId, offsets, member: group });
    this._inTransaction = true;
  }

  async flush(): Promise<void> {
    if (this.fenced) throw this.fenced;
    const dirty = this.dirty;
    if (dirty.length === 0) return;
    this.dirty = [];
    try {
      if (this.transactionalId !== undefined) await this.addPartitions(dirty.filter((b) => !b.inTxn));
      else if (this.idempotent === null) await this.initIdempotent();
      // Cut each partition's records into batches; then rounds of one batch per partition.
      const produced = this.client.recordsProduced;
      const queues = dirty.map((b) => {
        produced.set(b.topic, (produced.get(b.topic) ?? 0) + b.records.length);
        const batches = this.cut(b.records);
        this._bufferedBytes -= b.bytes;
        b.records = [];
        b.bytes = 0;
        b.dirty = false;
        return { b, batches };
      });
      for (let round = 0; queues.some((q) => q.batches.length > round); round++) {
        await this.produceRound(queues.filter((q) => q.batches.length > round).map((q) => ({ b: q.b, records: q.batches[round]! })));
      }
    } catch (e) {
      if (this.transactionalId === undefined) this.idempotent = null;
      throw this.translate(e);
    }
  }

  /** InitProducerId without a transactional id: a fresh producer id (epoch 0); every partition's sequence restarts at 0. */
  private async initIdempotent(): Promise<void> {
    const r = await this.client.retry('InitProducerId(idempotent)', async () => {
      const res = await this.client.anyBroker((b) =>
        this.client.call(b, ApiKeys.InitProducerId, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }, this.pool),
      );
      check(res.errorCode, 'InitProducerId(idempotent)');
      return res;
    });
    this.idempotent = { producerId: Number(r.producerId), producerEpoch: r.producerEpoch };
    for (const b of this.buffers.values()) b.seq = 0;
  }

  private cut(records: RecordInput[]): RecordInput[][] {
    return cutBySize(records, this.batchBytes);
  }

  /** One batch per partition, grouped by leader; retried (same sequence numbers) after leader moves. */
  private async produceRound(items: Array<{ b: PartitionBuffer; records: RecordInput[] }>): Promise<void> {
    const encoded = items.map((it) => ({ b: it.b, n: it.records.length, bytes: this.encode(it.records, it.b) }));
    let todo = encoded;
    await this.client.retry('Produce', async () => {
      const byLeader = new Map<number, { broker: BrokerAddress; items: typeof todo }>();
      for (const it of todo) {
        const leader = await this.client.leaderFor(it.b.topic, it.b.partition);
        let g = byLeader.get(leader.nodeId);
        if (!g) byLeader.set(leader.nodeId, (g = { broker: leader, items: [] }));
        g.items.push(it);
      }
      const failed: typeof todo = [];
      let firstError: unknown;
      await Promise.all(
        [...byLeader.values()].map(async (g) => {
          const topics = new Map<string, Array<{ index: number; records: Buffer }>>();
          for (const it of g.items) {
            let t = topics.get(it.b.topic);
            if (!t) topics.set(it.b.topic, (t = []));
            t.push({ index: it.b.partition, records: it.bytes });
          }
          let res;
          try {
            res = await this.client.call(
              g.broker,
              ApiKeys.Produce,
              {
                transactionalId: this.transactionalId ?? null,
                acks: -1,
                timeoutMs: PRODUCE_TIMEOUT_MS,
                topicData: [...topics].map(([name, partitionData]) => ({ name, partitionData })),
              },
              this.pool,
            );
          } catch (e) {
            failed.push(...g.items);
            firstError ??= e;
            return;
          }
          const byTp = new Map(g.items.map((it) => [tpKey(it.b.topic, it.b.partition), it]));
          for (const t of res.responses) {
            for (const p of t.partitionResponses) {
              const it = byTp.get(tpKey(t.name, p.index));
              if (!it) continue;
              byTp.delete(tpKey(t.name, p.index));
              // A retry of a batch the leader already has: it was written once, which is what counts.
              if (p.errorCode === 0 || p.errorCode === CODES.DUPLICATE_SEQUENCE_NUMBER) {
                // Per partition, at once: when another partition's batch fails for good, this one's
                // sequence numbers are still taken (its next batch reusing them would be dropped as
                // a duplicate), while the failed one's are reused, as Kafka's producer does.
                it.b.seq = (it.b.seq + it.n) % 0x80000000;
                continue;
              }
              failed.push(it);
              firstError ??= new KafkaResponseError(p.errorCode, `Produce ${t.name}-${p.index}`, p.errorMessage);
            }
          }
          for (const it of byTp.values()) {
            failed.push(it);
            firstError ??= new KafkaResponseError(-1, `Produce ${it.b.topic}-${it.b.partition}: no answer for the partition`);
          }
        }),
      );
      todo = failed;
      if (firstError !== undefined) {
        if (!isRetriable(firstError)) throw firstError;
        this.client.forgetRouting();
        throw firstError;
      }
    });
  }

  private encode(records: RecordInput[], b: PartitionBuffer): Buffer {
    const id = this.transactionalId !== undefined ? { producerId: this.producerId, producerEpoch: this.producerEpoch } : this.idempotent;
    if (id === null) return encodeRecordBatch({ records, compression: this.compression });
    return encodeRecordBatch({
      records,
      compression: this.compression,
      producerId: id.producerId,
      producerEpoch: id.producerEpoch,
      baseSequence: b.seq,
      transactional: this.transactionalId !== undefined,
    });
  }

  private async addPartitions(added: PartitionBuffer[]): Promise<void> {
    if (added.length === 0) return;
    const tid = this.transactionalId!;
    const topics = new Map<string, number[]>();
    for (const b of added) {
      let t = topics.get(b.topic);
      if (!t) topics.set(b.topic, (t = []));
      t.push(b.partition);
    }
    await this.client.retry(`AddPartitionsToTxn(${tid})`, async () => {
      const coord = await this.client.coordinator(COORDINATOR_TRANSACTION, tid);
      const r = await this.client.call(
        coord,
        ApiKeys.AddPartitionsToTxn,
        {
          v3AndBelowTransactionalId: tid,
          v3AndBelowProducerId: BigInt(this.producerId),
          v3AndBelowProducerEpoch: this.producerEpoch,
          v3AndBelowTopics: [...topics].map(([name, partitions]) => ({ name, partitions })),
        },
        this.pool,
      );
      for (const t of r.resultsByTopicV3AndBelow) for (const p of t.resultsByPartition) check(p.partitionErrorCode, `AddPartitionsToTxn ${t.name}-${p.partitionIndex}`);
    });
    for (const b of added) {
      b.inTxn = true;
      this.txnPartitions.push(b);
    }
  }

  async commitTransaction(): Promise<void> {
    this.requireTransactional();
    if (this.fenced) throw this.fenced;
    if (!this._inTransaction) return;
    const offsets = this.pendingOffsets;
    // The offsets (AddOffsetsToTxn, then TxnOffsetCommit) go while the records are produced, as
    // Java's producer sends them: EndTxn needs both done, neither needs the other. In sequence they
    // were two more round trips in every commit, a wait of the application's loop.
    const committingOffsets = (async () => {
      for (const o of offsets) await this.commitOffsetsInTxn(o.group, o.offsets, o.member);
    })();
    const [flushed, offsetsDone] = await Promise.allSettled([this.flush(), committingOffsets]);
    if (flushed.status === 'rejected') throw flushed.reason; // flush() gives its errors translated
    try {
      if (offsetsDone.status === 'rejected') throw offsetsDone.reason;
      this.pendingOffsets = [];
      if (this.txnPartitions.length > 0 || offsets.length > 0) await this.endTxn(true);
    } catch (e) {
      throw this.translate(e);
    }
    this.endTxnLocally();
  }

  /** AddOffsetsToTxn (the group's offsets partition joins the transaction), then TxnOffsetCommit to the group coordinator. */
  private async commitOffsetsInTxn(groupId: string, offsets: readonly PartitionOffset[], member: ConsumerGroupMetadata | undefined): Promise<void> {
    const tid = this.transactionalId!;
    await this.client.retry(`AddOffsetsToTxn(${tid}, ${groupId})`, async () => {
      const coord = await this.client.coordinator(COORDINATOR_TRANSACTION, tid);
      const r = await this.client.call(coord, ApiKeys.AddOffsetsToTxn, { transactionalId: tid, producerId: BigInt(this.producerId), producerEpoch: this.producerEpoch, groupId }, this.pool);
      check(r.errorCode, `AddOffsetsToTxn(${tid}, ${groupId})`);
    });
    const topics = new Map<string, Array<{ partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }>>();
    for (const o of offsets) {
      let t = topics.get(o.topic);
      if (!t) topics.set(o.topic, (t = []));
      t.push({ partitionIndex: o.partition, committedOffset: BigInt(o.offset), committedLeaderEpoch: -1, committedMetadata: '' });
    }
    await this.client.retry(`TxnOffsetCommit(${tid}, ${groupId})`, async () => {
      const coord = await this.client.coordinator(COORDINATOR_GROUP, groupId);
      const r = await this.client.call(
        coord,
        ApiKeys.TxnOffsetCommit,
        {
          transactionalId: tid,
          groupId,
          producerId: BigInt(this.producerId),
          producerEpoch: this.producerEpoch,
          generationId: member?.generationId ?? -1,
          memberId: member?.memberId ?? '',
          groupInstanceId: member?.groupInstanceId ?? null,
          topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
        },
        this.pool,
      );
      for (const t of r.topics) {
        for (const p of t.partitions) {
          if (p.errorCode === 0) continue;
          const e = new KafkaResponseError(p.errorCode, `TxnOffsetCommit(${groupId}) ${t.name}-${p.partitionIndex}`);
          if (MEMBERSHIP_LOST.has(e.kafkaName)) {
            throw new GroupMembershipLostError(e.code, `${e.message}: this member (generation ${member?.generationId}) was fenced out of group ${groupId}`, { cause: e });
          }
          throw e;
        }
      }
    });
  }

  private async endTxn(commit: boolean): Promise<void> {
    const tid = this.transactionalId!;
    await this.client.retry(`EndTxn(${tid}, ${commit ? 'commit' : 'abort'})`, async () => {
      const coord = await this.client.coordinator(COORDINATOR_TRANSACTION, tid);
      const r = await this.client.call(coord, ApiKeys.EndTxn, { transactionalId: tid, producerId: BigInt(this.producerId), producerEpoch: this.producerEpoch, committed: commit }, this.pool);
      check(r.errorCode, `EndTxn(${tid})`);
    });
  }

  async abortTransaction(): Promise<void> {
    this.requireTransactional();
    for (const b of this.dirty) {
      this._bufferedBytes -= b.bytes;
      b.records = [];
      b.bytes = 0;
      b.dirty = false;
    }
    this.dirty = [];
    this.pendingOffsets = [];
    if (this.fenced) throw this.fenced;
    try {
      // Offsets are only sent at commit: an abort has to end the transaction only if partitions joined it.
      if (this.txnPartitions.length > 0) await this.endTxn(false);
    } catch (e) {
      throw this.translate(e);
    }
    this.endTxnLocally();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (!this.fenced) {
        if (this.transactionalId !== undefined) {
          if (this._inTransaction) await this.abortTransaction().catch(() => {});
        } else await this.flush();
      }
    } finally {
      await this.client.closePool(this.pool);
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

  private translate(e: unknown): unknown {
    const name = e instanceof KafkaResponseError ? e.kafkaName : e instanceof TributaryError ? e.code : undefined;
    if (name !== undefined && FENCING.has(name)) {
      this.fenced ??= new ProducerFencedError(
        `producer ${this.producerId} (epoch ${this.producerEpoch}) of transactional id ${this.transactionalId} was fenced: ${(e as Error).message}`,
        { cause: e },
      );
      return this.fenced;
    }
    return e;
  }
}
