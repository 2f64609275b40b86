import { ApiKeys, ErrorCodes } from '../../protocol/index.js';
import { codeOf } from '../errors.js';
import { defineHandler } from '../handler.js';
import { LEADER_EPOCH } from './metadata.js';

/**
 * OffsetForLeaderEpoch: a single node has had one leader epoch (0) forever, so its end offset is
 * the log end offset; a later epoch is unknown (-1, -1), as Kafka answers.
 */
export const offsetForLeaderEpoch = defineHandler({
  apiKey: ApiKeys.OffsetForLeaderEpoch,
  handle(ctx, req) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => {
          try {
            const log = ctx.broker.topics.partition(t.topic, p.partition);
            if (p.currentLeaderEpoch > LEADER_EPOCH) {
              return { errorCode: ErrorCodes.UNKNOWN_LEADER_EPOCH, partition: p.partition, leaderEpoch: -1, endOffset: -1n };
            }
            if (p.leaderEpoch > LEADER_EPOCH || p.leaderEpoch < 0) {
              return { errorCode: ErrorCodes.NONE, partition: p.partition, leaderEpoch: -1, endOffset: -1n };
            }
            return { errorCode: ErrorCodes.NONE, partition: p.partition, leaderEpoch: LEADER_EPOCH, endOffset: BigInt(log.logEndOffset) };
          } catch (e) {
            return { errorCode: codeOf(ctx, e, `offset for leader epoch of ${t.topic}-${p.partition}`), partition: p.partition, leaderEpoch: -1, endOffset: -1n };
          }
        }),
      })),
    };
  },
});
