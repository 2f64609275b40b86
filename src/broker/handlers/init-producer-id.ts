import { ApiKeys, ErrorCodes } from '../../protocol/index.js';
import { defineHandler } from '../handler.js';
import { txnErrorCode } from '../transactions.js';

/**
 * InitProducerId. Without a transactional id: a new producer id at epoch 0 (an idempotent
 * producer). With one: the id's producer id with a bumped epoch, fencing every older producer of
 * that id and aborting what it left open; v3+ may send the current id and epoch to keep them after
 * an error (KIP-360): a retry of a bump gets the same epoch, a stale one PRODUCER_FENCED (v4+;
 * INVALID_PRODUCER_EPOCH before).
 */
export const initProducerId = defineHandler({
  apiKey: ApiKeys.InitProducerId,
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    const fail = (errorCode: number) => ({ throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 });
    let expected: { producerId: number; producerEpoch: number } | undefined;
    if (v >= 3 && req.transactionalId !== null) {
      const pid = req.producerId;
      const epoch = req.producerEpoch;
      if ((pid === -1n) !== (epoch === -1)) return fail(ErrorCodes.INVALID_REQUEST);
      if (pid !== -1n) {
        if (pid < 0n || pid > BigInt(Number.MAX_SAFE_INTEGER) || epoch < 0) return fail(ErrorCodes.INVALID_REQUEST);
        expected = { producerId: Number(pid), producerEpoch: epoch };
      }
    }
    try {
      const r = await ctx.broker.transactions.initProducerId(req.transactionalId, req.transactionTimeoutMs, expected);
      return { throttleTimeMs: 0, errorCode: ErrorCodes.NONE, producerId: BigInt(r.producerId), producerEpoch: r.producerEpoch };
    } catch (e) {
      return fail(txnErrorCode(ctx, e, `InitProducerId ${req.transactionalId ?? '(idempotent)'}`, 4));
    }
  },
});
