import { ApiKeys } from '../../protocol/index.js';
import { defineHandler } from '../handler.js';

/** OffsetFetch: one group (v0-v7) or several (v8+); null topics means every committed partition. */
export const offsetFetch = defineHandler({
  apiKey: ApiKeys.OffsetFetch,
  handle(ctx, req) {
    const { groups } = ctx.broker;
    const asked = (topics: { name: string; partitionIndexes: number[] }[] | null) =>
      topics === null ? null : topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes }));
    if (ctx.apiVersion >= 8) {
      return {
        throttleTimeMs: 0,
        groups: req.groups.map((g) => {
          const r = groups.fetchOffsets(g.groupId, asked(g.topics));
          return {
            groupId: g.groupId,
            errorCode: r.errorCode,
            topics: r.topics.map((t) => ({
              name: t.name,
              partitions: t.partitions.map((p) => ({
                partitionIndex: p.partition,
                committedOffset: BigInt(p.offset),
                committedLeaderEpoch: p.leaderEpoch,
                metadata: p.metadata,
                errorCode: p.errorCode,
              })),
            })),
          };
        }),
      };
    }
    const r = groups.fetchOffsets(req.groupId, asked(req.topics));
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      topics: r.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partition,
          committedOffset: BigInt(p.offset),
          committedLeaderEpoch: p.leaderEpoch,
          metadata: p.metadata,
          errorCode: p.errorCode,
        })),
      })),
    };
  },
});
