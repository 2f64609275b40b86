import { ApiKeys, ErrorCodes } from '../../protocol/index.js';
import { defineHandler } from '../handler.js';
import { producerIdOf, txnErrorCode } from '../transactions.js';

/**
 * AddOffsetsToTxn: the group's offsets partition of `__consumer_offsets` joins the transaction (it
 * gets the transaction's marker), so the producer may TxnOffsetCommit to the group.
 */
export const addOffsetsToTxn = defineHandler({
  apiKey: ApiKeys.AddOffsetsToTxn,
  async handle(ctx, req) {
    let errorCode: number = ErrorCodes.NONE;
    try {
      await ctx.broker.groups.ready();
      await ctx.broker.transactions.addOffsets(req.transactionalId, producerIdOf(req.producerId), req.producerEpoch, req.groupId);
    } catch (e) {
      errorCode = txnErrorCode(ctx, e, `AddOffsetsToTxn ${req.transactionalId} (group ${req.groupId})`, 2);
      if (errorCode === ErrorCodes.INVALID_REQUEST && req.groupId === '') errorCode = ErrorCodes.INVALID_GROUP_ID;
    }
    return { throttleTimeMs: 0, errorCode };
  },
});
