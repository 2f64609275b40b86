import { ApiKeys } from '../../protocol/index.js';
import { defineHandler } from '../handler.js';

/** SyncGroup: the leader hands in the assignment; every member gets its own part. */
export const syncGroup = defineHandler({
  apiKey: ApiKeys.SyncGroup,
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    const r = await ctx.broker.groups.syncGroup({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: v >= 3 ? req.groupInstanceId : null,
      protocolType: v >= 5 ? req.protocolType : null,
      protocolName: v >= 5 ? req.protocolName : null,
      assignments: req.assignments,
    });
    return { throttleTimeMs: 0, errorCode: r.errorCode, protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment };
  },
});
