import { ApiKeys } from '../../protocol/index.js';
import { defineHandler } from '../handler.js';

/** DeleteGroups: empty groups only (NON_EMPTY_GROUP otherwise); their offsets and state get tombstones. */
export const deleteGroups = defineHandler({
  apiKey: ApiKeys.DeleteGroups,
  async handle(ctx, req) {
    return { throttleTimeMs: 0, results: await ctx.broker.groups.deleteGroups(req.groupsNames) };
  },
});
