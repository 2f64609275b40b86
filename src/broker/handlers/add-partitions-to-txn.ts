import type { TopicPartition } from '../../log/index.js';
import {
  ApiKeys,
  ErrorCodes,
  type AddPartitionsToTxnResponseResult,
  type AddPartitionsToTxnResponseTopicResult,
} from '../../protocol/index.js';
import type { RequestContext } from '../context.js';
import { defineHandler } from '../handler.js';
import { producerIdOf, txnErrorCode } from '../transactions.js';

interface TxnRequest {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  verifyOnly: boolean;
  topics: { name: string; partitions: number[] }[];
}

/** Answers one transaction's partitions: every partition with `code`, or a code per partition. */
function results(t: TxnRequest, code: (tp: TopicPartition) => number): AddPartitionsToTxnResponseTopicResult[] {
  return t.topics.map((topic) => ({
    name: topic.name,
    resultsByPartition: topic.partitions.map((partition) => ({ partitionIndex: partition, partitionErrorCode: code({ topic: topic.name, partition }) })),
  }));
}

async function addOne(ctx: RequestContext, t: TxnRequest): Promise<AddPartitionsToTxnResponseTopicResult[]> {
  const coordinator = ctx.broker.transactions;
  const producerId = producerIdOf(t.producerId);
  const what = `AddPartitionsToTxn ${t.transactionalId}`;
  if (t.verifyOnly) {
    // v4+ (broker to broker in Kafka): is each partition in the ongoing transaction?
    return results(t, (tp) => {
      try {
        coordinator.verifyPartition(t.transactionalId, producerId, t.producerEpoch, tp);
        return ErrorCodes.NONE;
      } catch (e) {
        return txnErrorCode(ctx, e, what, 2);
      }
    });
  }
  const { topics } = ctx.broker;
  // Kafka's checks before the coordinator: unknown partitions fail, the rest are not attempted.
  const unknown = new Set<string>();
  const partitions: TopicPartition[] = [];
  for (const topic of t.topics) {
    const count = topics.exists(topic.name) ? topics.partitionCount(topic.name) : 0;
    for (const partition of topic.partitions) {
      if (partition < 0 || partition >= count) unknown.add(`${topic.name}\u0000${partition}`);
      partitions.push({ topic: topic.name, partition });
    }
  }
  if (unknown.size > 0) {
    return results(t, (tp) => (unknown.has(`${tp.topic}\u0000${tp.partition}`) ? ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION : ErrorCodes.OPERATION_NOT_ATTEMPTED));
  }
  let code: number = ErrorCodes.NONE;
  try {
    await coordinator.addPartitions(t.transactionalId, producerId, t.producerEpoch, partitions);
  } catch (e) {
    code = txnErrorCode(ctx, e, what, 2);
  }
  return results(t, () => code);
}

/**
 * AddPartitionsToTxn: adds partitions to the producer's transaction (starting it). v0-v3 carry one
 * transaction (what clients send); v4+ batch several and may only verify (verifyOnly).
 */
export const addPartitionsToTxn = defineHandler({
  apiKey: ApiKeys.AddPartitionsToTxn,
  async handle(ctx, req) {
    if (ctx.apiVersion >= 4) {
      const resultsByTransaction: AddPartitionsToTxnResponseResult[] = [];
      for (const t of req.transactions) {
        resultsByTransaction.push({ transactionalId: t.transactionalId, topicResults: await addOne(ctx, t) });
      }
      return { throttleTimeMs: 0, errorCode: ErrorCodes.NONE, resultsByTransaction, resultsByTopicV3AndBelow: [] };
    }
    const t: TxnRequest = {
      transactionalId: req.v3AndBelowTransactionalId,
      producerId: req.v3AndBelowProducerId,
      producerEpoch: req.v3AndBelowProducerEpoch,
      verifyOnly: false,
      topics: req.v3AndBelowTopics,
    };
    return { throttleTimeMs: 0, errorCode: ErrorCodes.NONE, resultsByTransaction: [], resultsByTopicV3AndBelow: await addOne(ctx, t) };
  },
});
