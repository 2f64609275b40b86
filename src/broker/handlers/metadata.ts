import { ApiKeys, ErrorCodes, type MetadataResponseTopic } from '../../protocol/index.js';
import type { RequestContext } from '../context.js';
import { AUTHORIZED_OPERATIONS_OMITTED, codeOf } from '../errors.js';
import { defineHandler } from '../handler.js';
import { ZERO_UUID, isInternalTopic } from '../topics.js';

/** Kafka's leader epoch for every partition of this single node. */
export const LEADER_EPOCH = 0;

function topicMetadata(ctx: RequestContext, name: string): MetadataResponseTopic {
  const nodeId = ctx.broker.config.nodeId;
  const count = ctx.broker.topics.partitionCount(name);
  const partitions = [];
  for (let p = 0; p < count; p++) {
    partitions.push({
      errorCode: ErrorCodes.NONE,
      partitionIndex: p,
      leaderId: nodeId,
      leaderEpoch: LEADER_EPOCH,
      replicaNodes: [nodeId],
      isrNodes: [nodeId],
      offlineReplicas: [],
    });
  }
  return {
    errorCode: ErrorCodes.NONE,
    name,
    topicId: ctx.broker.topics.idOf(name),
    isInternal: isInternalTopic(name),
    partitions,
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

function topicError(name: string | null, errorCode: number, topicId = ZERO_UUID): MetadataResponseTopic {
  return { errorCode, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED };
}

/**
 * Metadata: this node as the only broker and controller, leader of every partition (replicas and
 * ISR [node]). Unknown topics asked for by name are created when auto-creation is on (the broker's
 * setting and, from v4, the request's allowAutoTopicCreation).
 */
export const metadata = defineHandler({
  apiKey: ApiKeys.Metadata,
  async handle(ctx, req) {
    const { topics } = ctx.broker;
    const v = ctx.apiVersion;
    const allowAutoCreate = v >= 4 ? req.allowAutoTopicCreation : true;
    const out: MetadataResponseTopic[] = [];
    // v0: an empty list means all topics; v1+: null does.
    if (req.topics === null || (v === 0 && req.topics.length === 0)) {
      for (const name of topics.list()) out.push(topicMetadata(ctx, name));
    } else {
      const seen = new Set<string>();
      for (const t of req.topics) {
        let name = t.name;
        if (name === null) {
          name = topics.nameOf(t.topicId);
          if (name === null) {
            out.push(topicError(null, ErrorCodes.UNKNOWN_TOPIC_ID, t.topicId));
            continue;
          }
        }
        if (seen.has(name)) continue;
        seen.add(name);
        try {
          if (await topics.ensure(name, allowAutoCreate)) out.push(topicMetadata(ctx, name));
          else out.push(topicError(name, ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION));
        } catch (e) {
          out.push(topicError(name, codeOf(ctx, e, `metadata for ${name}`)));
        }
      }
    }
    const self = ctx.broker.endpoint();
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId: self.nodeId, host: self.host, port: self.port, rack: null }],
      clusterId: ctx.broker.clusterId,
      controllerId: self.nodeId,
      topics: out,
      clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
});
