import assert from 'node:assert/strict';
import { forEachCommittedRecord } from '../../src/log/index.js';
import { ApiKeys, ErrorCodes } from '../../src/protocol/index.js';
import { encodeRecordBatch } from '../../src/records/index.js';
import type { RawClient } from './helpers.js';

/** Transaction requests over the raw protocol client, at the versions librdkafka 2.x sends. */

export interface RawProducer {
  transactionalId: string | null;
  producerId: bigint;
  producerEpoch: number;
}

export async function initProducer(c: RawClient, transactionalId: string | null, transactionTimeoutMs = 60_000): Promise<RawProducer> {
  const r = await c.request(ApiKeys.InitProducerId, 4, { transactionalId, transactionTimeoutMs, producerId: -1n, producerEpoch: -1 });
  assert.equal(r.errorCode, 0, `InitProducerId ${transactionalId}: error ${r.errorCode}`);
  return { transactionalId, producerId: r.producerId, producerEpoch: r.producerEpoch };
}

/** AddPartitionsToTxn v3; returns the error code of each partition, in order. */
export async function addPartitions(c: RawClient, p: RawProducer, topic: string, partitions: number[], version = 3): Promise<number[]> {
  const r = await c.request(ApiKeys.AddPartitionsToTxn, version, {
    v3AndBelowTransactionalId: p.transactionalId!,
    v3AndBelowProducerId: p.producerId,
    v3AndBelowProducerEpoch: p.producerEpoch,
    v3AndBelowTopics: [{ name: topic, partitions }],
  });
  return r.resultsByTopicV3AndBelow[0]!.resultsByPartition.map((x) => x.partitionErrorCode);
}

export async function addOffsets(c: RawClient, p: RawProducer, groupId: string): Promise<number> {
  return (await c.request(ApiKeys.AddOffsetsToTxn, 3, { transactionalId: p.transactionalId!, producerId: p.producerId, producerEpoch: p.producerEpoch, groupId })).errorCode;
}

export async function endTxn(c: RawClient, p: RawProducer, committed: boolean, version = 3): Promise<number> {
  return (await c.request(ApiKeys.EndTxn, version, { transactionalId: p.transactionalId!, producerId: p.producerId, producerEpoch: p.producerEpoch, committed })).errorCode;
}

export async function txnOffsetCommit(c: RawClient, p: RawProducer, groupId: string, topic: string, offsets: Record<number, number>): Promise<number[]> {
  const r = await c.request(ApiKeys.TxnOffsetCommit, 3, {
    transactionalId: p.transactionalId!,
    groupId,
    producerId: p.producerId,
    producerEpoch: p.producerEpoch,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [
      {
        name: topic,
        partitions: Object.entries(offsets).map(([partition, offset]) => ({
          partitionIndex: Number(partition),
          committedOffset: BigInt(offset),
          committedLeaderEpoch: -1,
          committedMetadata: null,
        })),
      },
    ],
  });
  return r.topics[0]!.partitions.map((x) => x.errorCode);
}

/** A producer's batch: `values` as records, with its id, epoch and base sequence. */
export function producerBatch(p: RawProducer, baseSequence: number, values: string[], transactional = p.transactionalId !== null): Buffer {
  return encodeRecordBatch({
    producerId: Number(p.producerId),
    producerEpoch: p.producerEpoch,
    baseSequence,
    transactional,
    records: values.map((v, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(v), timestamp: 1_000 + i })),
  });
}

/** Produce v9 (acks=all) of one batch to one partition: [errorCode, baseOffset]. */
export async function produce(c: RawClient, transactionalId: string | null, topic: string, partition: number, records: Buffer): Promise<[number, bigint]> {
  const r = await c.request(ApiKeys.Produce, 9, { transactionalId, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
  const pr = r.responses[0]!.partitionResponses[0]!;
  return [pr.errorCode, pr.baseOffset];
}

/**
 * The values a consumer at `isolation` gets from offset 0 of a partition (Fetch v11, one request per
 * segment until nothing more comes), with the partition's LSO and high watermark.
 */
export async function consume(
  c: RawClient,
  topic: string,
  partition: number,
  isolation: 'read_committed' | 'read_uncommitted',
  maxWaitMs = 0,
): Promise<{ values: string[]; lastStableOffset: bigint; highWatermark: bigint }> {
  const values: string[] = [];
  let offset = 0;
  for (;;) {
    const r = await c.request(ApiKeys.Fetch, 11, {
      maxWaitMs,
      minBytes: 1,
      maxBytes: 8 << 20,
      isolationLevel: isolation === 'read_committed' ? 1 : 0,
      topics: [{ topic, partitions: [{ partition, fetchOffset: BigInt(offset), partitionMaxBytes: 8 << 20 }] }],
    });
    const p = r.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, ErrorCodes.NONE);
    const records = p.records ?? Buffer.alloc(0);
    if (records.length === 0) return { values, lastStableOffset: p.lastStableOffset, highWatermark: p.highWatermark };
    offset = forEachCommittedRecord(
      {
        records,
        abortedTransactions: p.abortedTransactions?.map((a) => ({ producerId: Number(a.producerId), firstOffset: Number(a.firstOffset) })) ?? null,
      },
      (_o, _ts, _k, v) => {
        values.push(v === null ? '' : v.toString());
      },
      { fromOffset: offset },
    );
    maxWaitMs = 0;
  }
}

/** ListOffsets v5 latest at an isolation level. */
export async function latestOffset(c: RawClient, topic: string, partition: number, readCommitted: boolean): Promise<bigint> {
  const r = await c.request(ApiKeys.ListOffsets, 5, {
    replicaId: -1,
    isolationLevel: readCommitted ? 1 : 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }],
  });
  return r.topics[0]!.partitions[0]!.offset;
}

/** OffsetFetch v7 of one partition: [errorCode, offset]. */
export async function fetchOffset(c: RawClient, groupId: string, topic: string, partition: number, requireStable: boolean): Promise<[number, bigint]> {
  const r = await c.request(ApiKeys.OffsetFetch, 7, { groupId, topics: [{ name: topic, partitionIndexes: [partition] }], requireStable });
  assert.equal(r.errorCode, 0);
  const p = r.topics[0]!.partitions[0]!;
  return [p.errorCode, p.committedOffset];
}
