import { ApiKeys } from '../../protocol/index.js';
import type { FetchedOffset } from '../group/coordinator.js';
import { defineHandler } from '../handler.js';

/** The coordinator's committed offsets in the response's layout (the same for one group and for several). */
function responseTopics(topics: readonly { name: string; partitions: readonly FetchedOffset[] }[]) {
  return topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({
      partitionIndex: p.partition,
      committedOffset: BigInt(p.offset),
      committedLeaderEpoch: p.leaderEpoch,
      metadata: p.metadata,
      errorCode: p.errorCode,
    })),
  }));
}

/**
 * OffsetFetch: one group (v0-v7) or several (v8+); null topics means every committed partition.
 * Offsets committed by a transaction count once it commits; with requireStable a partition with such
 * an offset pending answers UNSTABLE_OFFSET_COMMIT (the client retries).
 */
export const offsetFetch = defineHandler({
  apiKey: ApiKeys.OffsetFetch,
  handle(ctx, req) {
    const { groups } = ctx.broker;
    // v7+: a read_committed consumer asks to hear UNSTABLE_OFFSET_COMMIT while a transaction that
    // committed offsets for the partition is open, rather than the offset from before it.
    const requireStable = ctx.apiVersion >= 7 && req.requireStable;
    const asked = (topics: { name: string; partitionIndexes: number[] }[] | null) =>
      topics === null ? null : topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes }));
    if (ctx.apiVersion >= 8) {
      return {
        throttleTimeMs: 0,
        groups: req.groups.map((g) => {
          const r = groups.fetchOffsets(g.groupId, asked(g.topics), requireStable);
          return {
            groupId: g.groupId,
            errorCode: r.errorCode,
            topics: responseTopics(r.topics),
          };
        }),
      };
    }
    const r = groups.fetchOffsets(req.groupId, asked(req.topics), requireStable);
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      topics: responseTopics(r.topics),
    };
  },
});
