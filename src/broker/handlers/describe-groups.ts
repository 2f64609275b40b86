import { ApiKeys } from '../../protocol/index.js';
import { AUTHORIZED_OPERATIONS_OMITTED } from '../errors.js';
import { defineHandler } from '../handler.js';

/** DescribeGroups: state, protocol and members; member metadata and assignments once Stable. An unknown group is Dead. */
export const describeGroups = defineHandler({
  apiKey: ApiKeys.DescribeGroups,
  handle(ctx, req) {
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((id) => ({ ...ctx.broker.groups.describeGroup(id), authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED })),
    };
  },
});
