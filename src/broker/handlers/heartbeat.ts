import { ApiKeys } from '../../protocol/index.js';
import { defineHandler } from '../handler.js';

/** Heartbeat: keeps a member's session alive and tells it when a rebalance started. */
export const heartbeat = defineHandler({
  apiKey: ApiKeys.Heartbeat,
  handle(ctx, req) {
    const errorCode = ctx.broker.groups.heartbeat(req.groupId, req.memberId, ctx.apiVersion >= 3 ? req.groupInstanceId : null, req.generationId);
    return { throttleTimeMs: 0, errorCode };
  },
});
