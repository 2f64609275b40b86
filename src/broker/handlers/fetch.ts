import { setMaxListeners } from 'node:events';
import { OffsetOutOfRangeError, type PartitionLog } from '../../log/index.js';
import {
  ApiKeys,
  ErrorCodes,
  type FetchResponseFetchableTopicResponse,
  type FetchResponsePartitionData,
} from '../../protocol/index.js';
import { BATCH_LENGTH, LOG_OVERHEAD } from '../../records/index.js';
import { CloseConnection, type RequestContext } from '../context.js';
import { codeOf } from '../errors.js';
import { defineHandler } from '../handler.js';
import { LEADER_EPOCH } from './metadata.js';

const EMPTY = Buffer.alloc(0);
const READ_COMMITTED = 1;

interface Slot {
  topic: string | null;
  partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  /** Set when the partition cannot be fetched at all (unknown topic id, ...). */
  fixedError: number;
  data: FetchResponsePartitionData;
  /** High watermark seen by the last read: a long poll waits for it to move. */
  seenHighWatermark: number;
  log: PartitionLog | null;
}

/** The whole batches at the front of `records` that fit in `limit` bytes (KIP-74 for all but the first partition). */
function wholeBatchesWithin(records: Buffer, limit: number): Buffer {
  let end = 0;
  while (end + LOG_OVERHEAD <= records.length) {
    const size = records.readInt32BE(end + BATCH_LENGTH) + LOG_OVERHEAD;
    if (end + size > limit || end + size > records.length) break;
    end += size;
  }
  return end === records.length ? records : records.subarray(0, end);
}

/**
 * Reads every slot once. Returns the bytes gathered and whether any partition had an error (which
 * ends a long poll at once, as in Kafka).
 */
function readAll(ctx: RequestContext, slots: Slot[], maxBytes: number, readCommitted: boolean): { bytes: number; error: boolean } {
  let bytes = 0;
  let error = false;
  let first = true;
  for (const s of slots) {
    const d = s.data;
    d.records = EMPTY;
    d.errorCode = s.fixedError;
    if (s.fixedError !== ErrorCodes.NONE) {
      error = true;
      continue;
    }
    try {
      // Looked up again each time: the topic may have been deleted during a long poll.
      const log = ctx.broker.topics.partition(s.topic!, s.partition);
      s.log = log;
      if (s.currentLeaderEpoch > LEADER_EPOCH) {
        d.errorCode = ErrorCodes.UNKNOWN_LEADER_EPOCH;
        error = true;
        continue;
      }
      const budget = maxBytes - bytes;
      const limit = Math.min(s.partitionMaxBytes, budget);
      if (!first && limit <= 0) {
        d.highWatermark = BigInt(log.highWatermark);
        d.lastStableOffset = BigInt(log.lastStableOffset);
        d.logStartOffset = BigInt(log.logStartOffset);
        s.seenHighWatermark = log.highWatermark;
        continue;
      }
      const result = log.read(s.fetchOffset, {
        // The first partition with data returns at least one whole batch, even a large one.
        maxBytes: Math.max(1, limit),
        // read_committed: up to the last stable offset, with the aborted transactions overlapping.
        isolation: readCommitted ? 'read_committed' : 'read_uncommitted',
      });
      let records = result.records;
      // Trimming only drops batches at the end: the aborted list may name a transaction the trimmed
      // part no longer reaches, which consumers ignore (Kafka's list is a superset too).
      if (!first && records.length > limit) records = wholeBatchesWithin(records, limit);
      d.records = records;
      d.highWatermark = BigInt(result.highWatermark);
      d.lastStableOffset = BigInt(result.lastStableOffset);
      d.logStartOffset = BigInt(result.logStartOffset);
      d.abortedTransactions = readCommitted
        ? (result.abortedTransactions ?? []).map((a) => ({ producerId: BigInt(a.producerId), firstOffset: BigInt(a.firstOffset) }))
        : null;
      s.seenHighWatermark = result.highWatermark;
      if (records.length > 0) {
        first = false;
        bytes += records.length;
      }
    } catch (e) {
      d.errorCode = codeOf(ctx, e, `fetch from ${s.topic}-${s.partition}`);
      if (e instanceof OffsetOutOfRangeError && s.log !== null) {
        d.highWatermark = BigInt(s.log.highWatermark);
        d.logStartOffset = BigInt(s.log.logStartOffset);
      }
      error = true;
    }
  }
  return { bytes, error };
}

/**
 * Waits until any partition's high watermark passes what the last read saw, the deadline passes, or
 * the connection closes (then CloseConnection). One timer for the request; the partitions wake it
 * directly on append - nothing polls.
 */
async function waitForAny(ctx: RequestContext, slots: Slot[], remainingMs: number): Promise<void> {
  const controller = new AbortController();
  // One listener per partition waited on, all removed when the wait ends: a Fetch of more than 10
  // partitions is no leak (Node warns past 10).
  setMaxListeners(0, controller.signal);
  const connection = ctx.connection.signal;
  const onClose = () => controller.abort(new CloseConnection('connection closed'));
  if (connection.aborted) throw new CloseConnection('connection closed');
  connection.addEventListener('abort', onClose, { once: true });
  let timer: NodeJS.Timeout | undefined;
  try {
    const waits: Promise<unknown>[] = [
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, remainingMs));
      }),
    ];
    for (const s of slots) {
      if (s.log === null || s.fixedError !== ErrorCodes.NONE) continue;
      waits.push(s.log.waitForData(s.seenHighWatermark, Infinity, controller.signal));
    }
    await Promise.race(waits);
  } catch (e) {
    if (connection.aborted) throw new CloseConnection('connection closed');
    throw e;
  } finally {
    clearTimeout(timer);
    connection.removeEventListener('abort', onClose);
    // Releases the waiters still parked on other partitions; their rejections are expected.
    controller.abort();
  }
}

/**
 * Fetch: whole batches exactly as stored (no re-encoding), maxBytes and per-partition maxBytes as
 * KIP-74 has them, and a long poll of up to maxWaitMs until minBytes are there. Fetch sessions are
 * not kept: every request is answered as a full, sessionless fetch (sessionId 0), which every client
 * handles by sending full requests. read_committed reads stop at the last stable offset.
 */
export const fetch = defineHandler({
  apiKey: ApiKeys.Fetch,
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    const { topics } = ctx.broker;
    if (v >= 7 && req.sessionId !== 0) {
      return { throttleTimeMs: 0, errorCode: ErrorCodes.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
    }
    if (v >= 7 && req.sessionEpoch > 0) {
      return { throttleTimeMs: 0, errorCode: ErrorCodes.INVALID_FETCH_SESSION_EPOCH, sessionId: 0, responses: [] };
    }
    const readCommitted = v >= 4 && req.isolationLevel === READ_COMMITTED;
    const maxBytes = v >= 3 ? req.maxBytes : 0x7fffffff;
    const slots: Slot[] = [];
    const responses: FetchResponseFetchableTopicResponse[] = [];
    for (const t of req.topics) {
      let name: string | null = v >= 13 ? topics.nameOf(t.topicId) : t.topic;
      const unknown = name === null || !topics.exists(name);
      const fixedError = unknown ? (v >= 13 ? ErrorCodes.UNKNOWN_TOPIC_ID : ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION) : ErrorCodes.NONE;
      if (unknown) name = null;
      const partitions: FetchResponsePartitionData[] = [];
      responses.push(v >= 13 ? { topicId: t.topicId, partitions } : { topic: t.topic, partitions });
      for (const p of t.partitions) {
        const data: FetchResponsePartitionData = {
          partitionIndex: p.partition,
          errorCode: fixedError,
          highWatermark: -1n,
          lastStableOffset: -1n,
          logStartOffset: -1n,
          abortedTransactions: null,
          preferredReadReplica: -1,
          records: EMPTY,
        };
        partitions.push(data);
        slots.push({
          topic: name,
          partition: p.partition,
          fetchOffset: Number(p.fetchOffset),
          partitionMaxBytes: p.partitionMaxBytes,
          currentLeaderEpoch: p.currentLeaderEpoch,
          fixedError,
          data,
          seenHighWatermark: 0,
          log: null,
        });
      }
    }
    const deadline = Date.now() + Math.max(0, req.maxWaitMs);
    for (;;) {
      const { bytes, error } = readAll(ctx, slots, maxBytes, readCommitted);
      const remaining = deadline - Date.now();
      if (error || bytes >= req.minBytes || remaining <= 0 || slots.length === 0) break;
      await waitForAny(ctx, slots, remaining);
      if (Date.now() >= deadline) {
        readAll(ctx, slots, maxBytes, readCommitted);
        break;
      }
    }
    return { throttleTimeMs: 0, errorCode: ErrorCodes.NONE, sessionId: 0, responses };
  },
});
