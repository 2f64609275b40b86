import type { PartitionLog } from '../../log/index.js';
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
 * SEAM(transactions): the broker-side check of a transactional produce, before the append. The
 * log's append() already does the producer-state checks (epoch fencing, per-producer sequences,
 * de-duplication of the last 5 batches answered with the original offsets, INVALID_TXN_STATE for a
 * plain batch inside an open transaction; docs/log-transactions.md), mapped to Kafka codes by
 * errorCodeOf. What stays here for the transaction-coordinator stage: a batch with the
 * transactional bit must belong to a partition the producer added to its ongoing transaction
 * (AddPartitionsToTxn), and `transactionalId` must match the producer id's mapping - else
 * INVALID_TXN_STATE / INVALID_PRODUCER_ID_MAPPING, as Kafka's broker verifies with its coordinator.
 */
function checkProducerState(_ctx: RequestContext, _transactionalId: string | null, _log: PartitionLog, _records: Buffer): number {
  return ErrorCodes.NONE;
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
          const producerError = checkProducerState(ctx, req.transactionalId, log, records);
          if (producerError !== ErrorCodes.NONE) {
            r.errorCode = producerError;
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
