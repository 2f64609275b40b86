import { ATTRIBUTES, BATCH_LENGTH, LOG_OVERHEAD, MAGIC, PRODUCER_EPOCH, PRODUCER_ID, RECORDS, TRANSACTIONAL_BIT, readInt64 } from '../../records/index.js';
import {
  ApiKeys,
  ErrorCodes,
  type ProduceResponsePartitionProduceResponse,
  type ProduceResponseTopicProduceResponse,
} from '../../protocol/index.js';
import { CloseConnection, NO_RESPONSE, type RequestContext } from '../context.js';
import { codeOf, messageOf } from '../errors.js';
import { defineHandler } from '../handler.js';
import { isInternalTopic } from '../topics.js';

const EMPTY = Buffer.alloc(0);

/**
 * The broker-side check of a transactional produce, before the append (Kafka's KIP-890 part 1
 * verification). The log's append() does the producer-state checks (epoch fencing, per-producer
 * sequences, de-duplication of the last 5 batches answered with the original offsets,
 * INVALID_TXN_STATE for a plain batch inside an open transaction; docs/log-transactions.md). Here: a
 * batch with the transactional bit needs the request's transactional id, whose current producer id
 * and epoch it must carry, with the partition added to its ongoing transaction (AddPartitionsToTxn)
 * - else INVALID_PRODUCER_ID_MAPPING, INVALID_PRODUCER_EPOCH (a fenced producer: Kafka answers
 * produce this way rather than PRODUCER_FENCED) or INVALID_TXN_STATE. Synchronous, and the append
 * follows in the same tick, so no marker can come between the check and the write. Batches too
 * short to read are left to the append's validation.
 */
function checkProducerState(
  ctx: RequestContext,
  transactionalId: string | null,
  topic: string,
  partition: number,
  records: Buffer,
): { code: number; message: string } | null {
  for (let at = 0; at + RECORDS <= records.length; ) {
    const size = records.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD;
    if (records[at + MAGIC] === 2 && (records.readInt16BE(at + ATTRIBUTES) & TRANSACTIONAL_BIT) !== 0) {
      if (transactionalId === null) {
        return { code: ErrorCodes.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, message: 'a transactional batch needs the transactional id in the request' };
      }
      const producerId = Number(readInt64(records, at + PRODUCER_ID));
      const producerEpoch = records.readInt16BE(at + PRODUCER_EPOCH);
      try {
        ctx.broker.transactions.verifyPartition(transactionalId, producerId, producerEpoch, { topic, partition });
      } catch (e) {
        const code = codeOf(ctx, e, `produce to ${topic}-${partition}`);
        return { code: code === ErrorCodes.PRODUCER_FENCED ? ErrorCodes.INVALID_PRODUCER_EPOCH : code, message: messageOf(e) };
      }
      // One producer per request in practice; a later batch of another producer is checked too.
    }
    if (size <= LOG_OVERHEAD) break;
    at += size;
  }
  return null;
}

/**
 * Produce: acks 0, 1 and -1 (one node: leader = all replicas). Each partition's batches are
 * validated and appended by the log (CRC, sizes, magic; all or nothing per partition) and the
 * response waits until they are durable by the log's fsync policy. acks=0 gets no response, and a
 * failure closes the connection (Kafka's way of telling such a producer). The next request on the
 * connection may start while this one waits for its fsync; responses keep their order.
 */
export const produce = defineHandler({
  apiKey: ApiKeys.Produce,
  async handle(ctx, req) {
    const { topics } = ctx.broker;
    const acks = req.acks;
    const badAcks = acks !== 0 && acks !== 1 && acks !== -1;
    const responses: ProduceResponseTopicProduceResponse[] = [];
    const appends: Promise<void>[] = [];
    let failed = false;
    for (const topic of req.topicData) {
      const partitionResponses: ProduceResponsePartitionProduceResponse[] = [];
      responses.push({ name: topic.name, partitionResponses });
      let topicError: number = ErrorCodes.NONE;
      let topicMessage: string | null = null;
      if (badAcks) {
        topicError = ErrorCodes.INVALID_REQUIRED_ACKS;
      } else if (isInternalTopic(topic.name)) {
        topicError = ErrorCodes.INVALID_TOPIC_EXCEPTION;
        topicMessage = `${topic.name} is an internal topic`;
      } else {
        try {
          if (!(await topics.ensure(topic.name))) topicError = ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION;
        } catch (e) {
          topicError = codeOf(ctx, e, `produce to ${topic.name}`);
          topicMessage = messageOf(e);
        }
      }
      for (const p of topic.partitionData) {
        const r: ProduceResponsePartitionProduceResponse = {
          index: p.index,
          errorCode: topicError,
          baseOffset: -1n,
          logAppendTimeMs: -1n,
          logStartOffset: -1n,
          recordErrors: [],
          errorMessage: topicMessage,
        };
        partitionResponses.push(r);
        if (topicError !== ErrorCodes.NONE) {
          failed = true;
          continue;
        }
        const fail = (e: unknown) => {
          r.errorCode = codeOf(ctx, e, `produce to ${topic.name}-${p.index}`);
          r.errorMessage = messageOf(e);
          failed = true;
        };
        try {
          const log = topics.partition(topic.name, p.index);
          const records = p.records ?? EMPTY;
          const producerError = checkProducerState(ctx, req.transactionalId, topic.name, p.index, records);
          if (producerError !== null) {
            r.errorCode = producerError.code;
            r.errorMessage = producerError.message;
            failed = true;
            continue;
          }
          // append() validates and writes synchronously; its promise is the durability wait.
          appends.push(
            log.append(records).then((result) => {
              r.baseOffset = BigInt(result.baseOffset);
              r.logAppendTimeMs = BigInt(result.logAppendTime);
              r.logStartOffset = BigInt(result.logStartOffset);
            }, fail),
          );
        } catch (e) {
          fail(e);
        }
      }
    }
    ctx.unblock();
    await Promise.all(appends);
    if (acks === 0) {
      if (failed) throw new CloseConnection('acks=0 produce failed');
      return NO_RESPONSE;
    }
    return { responses, throttleTimeMs: 0 };
  },
});
