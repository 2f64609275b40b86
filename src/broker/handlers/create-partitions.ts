import { InvalidPartitionsError } from '../../log/index.js';
import { ApiKeys, ErrorCodes, type CreatePartitionsResponseTopicResult } from '../../protocol/index.js';
import { codeOf, messageOf } from '../errors.js';
import { defineHandler } from '../handler.js';
import { isInternalTopic } from '../topics.js';

/** CreatePartitions (validateOnly too): grows a topic; manual assignments may only name this node. */
export const createPartitions = defineHandler({
  apiKey: ApiKeys.CreatePartitions,
  async handle(ctx, req) {
    const { topics, log, config } = ctx.broker;
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const results: CreatePartitionsResponseTopicResult[] = [];
    for (const t of req.topics) {
      const r: CreatePartitionsResponseTopicResult = { name: t.name, errorCode: ErrorCodes.NONE, errorMessage: null };
      results.push(r);
      const fail = (errorCode: number, message: string) => {
        r.errorCode = errorCode;
        r.errorMessage = message;
      };
      if ((counts.get(t.name) ?? 0) > 1) {
        fail(ErrorCodes.INVALID_REQUEST, `topic ${t.name} appears more than once in the request`);
        continue;
      }
      if (!topics.exists(t.name)) {
        fail(ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic ${t.name}`);
        continue;
      }
      if (isInternalTopic(t.name)) {
        fail(ErrorCodes.INVALID_REQUEST, `${t.name} is an internal topic`);
        continue;
      }
      const current = topics.partitionCount(t.name);
      try {
        if (t.count <= current) throw new InvalidPartitionsError(`topic ${t.name} has ${current} partitions; the new count ${t.count} must be larger`);
        if (t.assignments !== null) {
          if (t.assignments.length !== t.count - current) {
            fail(ErrorCodes.INVALID_REPLICA_ASSIGNMENT, `${t.count - current} new partitions need as many assignments, got ${t.assignments.length}`);
            continue;
          }
          if (t.assignments.some((a) => a.brokerIds.length !== 1 || a.brokerIds[0] !== config.nodeId)) {
            fail(ErrorCodes.INVALID_REPLICA_ASSIGNMENT, `the only broker is ${config.nodeId}`);
            continue;
          }
        }
        if (!req.validateOnly) {
          await log.createPartitions(t.name, t.count);
          ctx.broker.logger.info(`topic ${t.name} now has ${t.count} partitions`);
        }
      } catch (e) {
        fail(codeOf(ctx, e, `create partitions of ${t.name}`), messageOf(e));
      }
    }
    return { throttleTimeMs: 0, results };
  },
});
