import { ApiKeys, ErrorCodes } from '../../protocol/index.js';
import { defineHandler } from '../handler.js';
import { producerIdOf, txnErrorCode } from '../transactions.js';

/**
 * EndTxn: commits or aborts the producer's transaction - PrepareCommit/PrepareAbort stored, a marker
 * in every partition of it (and the offsets partitions of its groups), then Complete; answered when
 * all of that is done. Served up to v4: v5 is KIP-890 part 2's epoch bump on every transaction,
 * which this coordinator does not do.
 */
export const endTxn = defineHandler({
  apiKey: ApiKeys.EndTxn,
  maxVersion: 4,
  async handle(ctx, req) {
    let errorCode: number = ErrorCodes.NONE;
    try {
      await ctx.broker.transactions.endTxn(req.transactionalId, producerIdOf(req.producerId), req.producerEpoch, req.committed);
    } catch (e) {
      errorCode = txnErrorCode(ctx, e, `EndTxn ${req.transactionalId}`, 2);
    }
    return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 };
  },
});
