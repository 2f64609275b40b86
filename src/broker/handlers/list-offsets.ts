import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type PartitionLog } from '../../log/index.js';
import { ApiKeys, ErrorCodes, type ListOffsetsResponsePartitionResponse } from '../../protocol/index.js';
import { codeOf } from '../errors.js';
import { defineHandler } from '../handler.js';
import { LEADER_EPOCH } from './metadata.js';

const MAX_TIMESTAMP = -3;
const EARLIEST_LOCAL_TIMESTAMP = -4;
const EARLIEST_PENDING_UPLOAD_TIMESTAMP = -5;
const READ_COMMITTED = 1;

/** The record with the largest timestamp (its first occurrence), or null for an empty log. */
function maxTimestampOffset(log: PartitionLog): { offset: number; timestamp: number } | null {
  let max = -1;
  for (const s of log.describe().segments) if (s.largestTimestamp > max) max = s.largestTimestamp;
  if (max < 0) return null;
  return log.offsetForTimestamp(max);
}

/**
 * ListOffsets: earliest (-2), latest (-1; the last stable offset for read_committed), max timestamp
 * (-3), earliest local (-4, the same as earliest here), and by timestamp (the first offset whose
 * record is at least that new, -1 when none is). v0 answers with the old offsets array.
 */
export const listOffsets = defineHandler({
  apiKey: ApiKeys.ListOffsets,
  handle(ctx, req) {
    const v = ctx.apiVersion;
    const readCommitted = v >= 2 && req.isolationLevel === READ_COMMITTED;
    const topics = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p): ListOffsetsResponsePartitionResponse => {
        const out: ListOffsetsResponsePartitionResponse = {
          partitionIndex: p.partitionIndex,
          errorCode: ErrorCodes.NONE,
          oldStyleOffsets: [],
          timestamp: -1n,
          offset: -1n,
          leaderEpoch: -1,
        };
        try {
          const log = ctx.broker.topics.partition(t.name, p.partitionIndex);
          if (p.currentLeaderEpoch > LEADER_EPOCH) {
            out.errorCode = ErrorCodes.UNKNOWN_LEADER_EPOCH;
            return out;
          }
          const ts = Number(p.timestamp);
          let found: { offset: number; timestamp: number } | null;
          if (ts === LATEST_TIMESTAMP) found = { offset: readCommitted ? log.lastStableOffset : log.highWatermark, timestamp: -1 };
          else if (ts === EARLIEST_TIMESTAMP || ts === EARLIEST_LOCAL_TIMESTAMP) found = log.offsetForTimestamp(EARLIEST_TIMESTAMP);
          else if (ts === MAX_TIMESTAMP) found = maxTimestampOffset(log);
          else if (ts === EARLIEST_PENDING_UPLOAD_TIMESTAMP) found = null;
          else found = log.offsetForTimestamp(ts);
          if (found !== null && readCommitted && ts >= 0 && found.offset >= log.lastStableOffset) found = null;
          if (v === 0) {
            out.oldStyleOffsets = found === null || p.maxNumOffsets < 1 ? [] : [BigInt(found.offset)];
          } else if (found !== null) {
            out.offset = BigInt(found.offset);
            out.timestamp = BigInt(found.timestamp);
            if (v >= 4) out.leaderEpoch = LEADER_EPOCH;
          }
        } catch (e) {
          out.errorCode = codeOf(ctx, e, `list offsets of ${t.name}-${p.partitionIndex}`);
        }
        return out;
      }),
    }));
    return { throttleTimeMs: 0, topics };
  },
});
