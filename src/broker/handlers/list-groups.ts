import { ApiKeys, ErrorCodes } from '../../protocol/index.js';
import { defineHandler } from '../handler.js';

/** ListGroups: every classic group, filtered by state (v4+) and type (v5+). */
export const listGroups = defineHandler({
  apiKey: ApiKeys.ListGroups,
  handle(ctx, req) {
    const groups = ctx.broker.groups.listGroups(ctx.apiVersion >= 4 ? req.statesFilter : [], ctx.apiVersion >= 5 ? req.typesFilter : []);
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCodes.NONE,
      groups: groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.groupState, groupType: 'classic' })),
    };
  },
});
