import type { TopicPartition } from '../../log/index.js';
import { ApiKeys, ErrorCodes } from '../../protocol/index.js';
import { defineHandler } from '../handler.js';

const STATES = new Set(['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence']);

function byTopic(partitions: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const m = new Map<string, number[]>();
  for (const tp of partitions) {
    let list = m.get(tp.topic);
    if (list === undefined) m.set(tp.topic, (list = []));
    list.push(tp.partition);
  }
  return [...m].map(([topic, ps]) => ({ topic, partitions: ps.sort((a, b) => a - b) }));
}

/** ListTransactions: every transactional id the coordinator knows, filtered by state, producer id and (v1+) age. */
export const listTransactions = defineHandler({
  apiKey: ApiKeys.ListTransactions,
  handle(ctx, req) {
    const states = new Set(req.stateFilters);
    const unknownStateFilters = req.stateFilters.filter((s) => !STATES.has(s));
    const producerIds = new Set(req.producerIdFilters.map((p) => Number(p)));
    const minDuration = ctx.apiVersion >= 1 ? Number(req.durationFilter) : -1;
    const now = Date.now();
    const transactionStates = ctx.broker.transactions
      .list()
      .filter((d) => states.size === 0 || states.has(d.state))
      .filter((d) => producerIds.size === 0 || producerIds.has(d.producerId))
      .filter((d) => minDuration < 0 || (d.txnStartTimestamp >= 0 && now - d.txnStartTimestamp >= minDuration))
      .map((d) => ({ transactionalId: d.transactionalId, producerId: BigInt(d.producerId), transactionState: d.state }));
    return { throttleTimeMs: 0, errorCode: ErrorCodes.NONE, unknownStateFilters, transactionStates };
  },
});

/** DescribeTransactions: state, producer, timeout, start time and partitions of each transactional id. */
export const describeTransactions = defineHandler({
  apiKey: ApiKeys.DescribeTransactions,
  handle(ctx, req) {
    return {
      throttleTimeMs: 0,
      transactionStates: req.transactionalIds.map((transactionalId) => {
        const d = ctx.broker.transactions.describe(transactionalId);
        if (d === null) {
          return {
            errorCode: ErrorCodes.TRANSACTIONAL_ID_NOT_FOUND,
            transactionalId,
            transactionState: '',
            transactionTimeoutMs: 0,
            transactionStartTimeMs: -1n,
            producerId: -1n,
            producerEpoch: -1,
            topics: [],
          };
        }
        return {
          errorCode: ErrorCodes.NONE,
          transactionalId,
          transactionState: d.state,
          transactionTimeoutMs: d.timeoutMs,
          transactionStartTimeMs: BigInt(d.txnStartTimestamp),
          producerId: BigInt(d.producerId),
          producerEpoch: d.producerEpoch,
          topics: byTopic(d.partitions),
        };
      }),
    };
  },
});
