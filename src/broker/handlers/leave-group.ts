import { ApiKeys } from '../../protocol/index.js';
import { defineHandler } from '../handler.js';

/** LeaveGroup: one member (v0-v2) or a batch of members, static ones by group.instance.id (v3+). */
export const leaveGroup = defineHandler({
  apiKey: ApiKeys.LeaveGroup,
  handle(ctx, req) {
    const v = ctx.apiVersion;
    const leaving = v >= 3 ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId })) : [{ memberId: req.memberId, groupInstanceId: null }];
    const r = ctx.broker.groups.leaveGroup(req.groupId, leaving);
    if (v < 3) return { throttleTimeMs: 0, errorCode: r.errorCode !== 0 ? r.errorCode : (r.members[0]?.errorCode ?? 0) };
    return { throttleTimeMs: 0, errorCode: r.errorCode, members: r.members };
  },
});
