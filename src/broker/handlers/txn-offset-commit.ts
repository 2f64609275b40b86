import { ApiKeys } from '../../protocol/index.js';
import { defineHandler } from '../handler.js';
import { CONSUMER_OFFSETS_TOPIC } from '../topics.js';
import { producerIdOf } from '../transactions.js';

/**
 * TxnOffsetCommit: a transactional producer commits a group's offsets inside its transaction. The
 * offsets go to `__consumer_offsets` as the producer's transactional records (checked against the
 * transaction coordinator: the group's offsets partition must be in its ongoing transaction) and
 * become the group's committed offsets when the transaction commits; an abort drops them.
 */
export const txnOffsetCommit = defineHandler({
  apiKey: ApiKeys.TxnOffsetCommit,
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    const { transactions } = ctx.broker;
    const producerId = producerIdOf(req.producerId);
    const codes = await ctx.broker.groups.commitTxnOffsets({
      transactionalId: req.transactionalId,
      groupId: req.groupId,
      producerId,
      producerEpoch: req.producerEpoch,
      generationId: v >= 3 ? req.generationId : -1,
      memberId: v >= 3 ? req.memberId : '',
      groupInstanceId: v >= 3 ? req.groupInstanceId : null,
      offsets: req.topics.flatMap((t) =>
        t.partitions.map((p) => ({
          topic: t.name,
          partition: p.partitionIndex,
          offset: Number(p.committedOffset),
          leaderEpoch: v >= 2 ? p.committedLeaderEpoch : -1,
          metadata: p.committedMetadata,
        })),
      ),
      verify: (partition) =>
        transactions.verifyPartition(req.transactionalId, producerId, req.producerEpoch, { topic: CONSUMER_OFFSETS_TOPIC, partition }),
    });
    let i = 0;
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: codes[i++]! })),
      })),
    };
  },
});
