import { ApiKeys } from '../../protocol/index.js';
import { defineHandler } from '../handler.js';

/** OffsetCommit: stored in `__consumer_offsets`; answered once durable by the log's fsync policy. */
export const offsetCommit = defineHandler({
  apiKey: ApiKeys.OffsetCommit,
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    const entries = req.topics.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: t.name,
        partition: p.partitionIndex,
        offset: Number(p.committedOffset),
        leaderEpoch: v >= 6 ? p.committedLeaderEpoch : -1,
        metadata: p.committedMetadata,
      })),
    );
    const codes = await ctx.broker.groups.commitOffsets({
      groupId: req.groupId,
      generationId: v >= 1 ? req.generationIdOrMemberEpoch : -1,
      memberId: v >= 1 ? req.memberId : '',
      groupInstanceId: v >= 7 ? req.groupInstanceId : null,
      offsets: entries,
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
