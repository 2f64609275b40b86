import { ApiKeys, ErrorCodes } from '../../protocol/index.js';
import { messageOf } from '../errors.js';
import { defineHandler } from '../handler.js';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

/**
 * FindCoordinator: this node coordinates every group and every transactional id. v4+ asks for
 * several keys at once. The first group lookup creates `__consumer_offsets`, as in Kafka.
 */
export const findCoordinator = defineHandler({
  apiKey: ApiKeys.FindCoordinator,
  async handle(ctx, req) {
    const self = ctx.broker.endpoint();
    const keyType = req.keyType;
    let errorCode: number = ErrorCodes.NONE;
    let errorMessage: string | null = null;
    if (keyType !== KEY_TYPE_GROUP && keyType !== KEY_TYPE_TRANSACTION) {
      errorCode = ErrorCodes.INVALID_REQUEST;
      errorMessage = `key type ${keyType} is not supported`;
    } else if (keyType === KEY_TYPE_GROUP) {
      try {
        await ctx.broker.groups.ready();
      } catch (e) {
        ctx.broker.logger.warn(`cannot create __consumer_offsets: ${messageOf(e)}`);
        errorCode = ErrorCodes.COORDINATOR_NOT_AVAILABLE;
        errorMessage = messageOf(e);
      }
    }
    const found = errorCode === ErrorCodes.NONE;
    if (ctx.apiVersion >= 4) {
      return {
        throttleTimeMs: 0,
        coordinators: req.coordinatorKeys.map((key) => ({
          key,
          nodeId: found ? self.nodeId : -1,
          host: found ? self.host : '',
          port: found ? self.port : -1,
          errorCode,
          errorMessage,
        })),
      };
    }
    return {
      throttleTimeMs: 0,
      errorCode,
      errorMessage,
      nodeId: found ? self.nodeId : -1,
      host: found ? self.host : '',
      port: found ? self.port : -1,
    };
  },
});
