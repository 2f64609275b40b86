import { ApiKeys, ErrorCodes } from '../../protocol/index.js';
import { AUTHORIZED_OPERATIONS_OMITTED } from '../errors.js';
import { defineHandler } from '../handler.js';

/** DescribeCluster: this node is the cluster, its only broker and its controller. */
export const describeCluster = defineHandler({
  apiKey: ApiKeys.DescribeCluster,
  handle(ctx, req) {
    const self = ctx.broker.endpoint();
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCodes.NONE,
      errorMessage: null,
      endpointType: req.endpointType,
      clusterId: ctx.broker.clusterId,
      controllerId: self.nodeId,
      brokers: [{ brokerId: self.nodeId, host: self.host, port: self.port, rack: null }],
      clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
});
