import { ApiKeys, ErrorCodes } from '../../protocol/index.js';
import { codeOf, messageOf } from '../errors.js';
import { defineHandler } from '../handler.js';

/** DescribeProducers: the producer state of each partition asked for (ids, epochs, open transactions). */
export const describeProducers = defineHandler({
  apiKey: ApiKeys.DescribeProducers,
  handle(ctx, req) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => {
          try {
            const log = ctx.broker.topics.partition(t.name, partitionIndex);
            return {
              partitionIndex,
              errorCode: ErrorCodes.NONE,
              errorMessage: null,
              activeProducers: log.producerStates().map((s) => ({
                producerId: BigInt(s.producerId),
                producerEpoch: s.producerEpoch,
                lastSequence: s.lastSequence,
                lastTimestamp: BigInt(s.lastTimestamp),
                coordinatorEpoch: s.coordinatorEpoch,
                currentTxnStartOffset: BigInt(s.currentTransactionStartOffset),
              })),
            };
          } catch (e) {
            return { partitionIndex, errorCode: codeOf(ctx, e, `DescribeProducers ${t.name}-${partitionIndex}`), errorMessage: messageOf(e), activeProducers: [] };
          }
        }),
      })),
    };
  },
});
