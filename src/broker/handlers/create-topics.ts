import { InvalidPartitionsError, parseTopicConfig, resolveTopicConfig, validateTopicName, type TopicConfig } from '../../log/index.js';
import { ApiKeys, ErrorCodes, type CreateTopicsResponseCreatableTopicResult } from '../../protocol/index.js';
import { codeOf, messageOf } from '../errors.js';
import { defineHandler } from '../handler.js';
import { ZERO_UUID, isInternalTopic } from '../topics.js';
import { CONFIG_NAMES, ConfigSource, configValue, topicConfigFromRequest } from './topic-configs.js';

class RequestError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * CreateTopics (validateOnly too): partitions from numPartitions (-1: the broker default) or from a
 * manual assignment, which may only name this node; replication factor 1 (or -1); configs with
 * Kafka's names, validated by the log.
 */
export const createTopics = defineHandler({
  apiKey: ApiKeys.CreateTopics,
  async handle(ctx, req) {
    const { config: brokerConfig, topics } = ctx.broker;
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const results: CreateTopicsResponseCreatableTopicResult[] = [];
    for (const t of req.topics) {
      const result: CreateTopicsResponseCreatableTopicResult = {
        name: t.name,
        topicId: ZERO_UUID,
        errorCode: ErrorCodes.NONE,
        errorMessage: null,
        topicConfigErrorCode: ErrorCodes.NONE,
        numPartitions: -1,
        replicationFactor: -1,
        configs: null,
      };
      results.push(result);
      try {
        if ((counts.get(t.name) ?? 0) > 1) throw new RequestError(ErrorCodes.INVALID_REQUEST, `topic ${t.name} appears more than once in the request`);
        if (isInternalTopic(t.name)) throw new RequestError(ErrorCodes.INVALID_REQUEST, `creating the internal topic ${t.name} is not allowed`);
        validateTopicName(t.name);
        let partitions: number;
        if (t.assignments.length > 0) {
          if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
            throw new RequestError(ErrorCodes.INVALID_REQUEST, 'numPartitions and replicationFactor must be -1 when assignments are given');
          }
          const indexes = new Set(t.assignments.map((a) => a.partitionIndex));
          for (let i = 0; i < t.assignments.length; i++) {
            if (!indexes.has(i)) throw new RequestError(ErrorCodes.INVALID_REPLICA_ASSIGNMENT, `partitions must be numbered 0..${t.assignments.length - 1}`);
          }
          for (const a of t.assignments) {
            if (a.brokerIds.length !== 1 || a.brokerIds[0] !== brokerConfig.nodeId) {
              throw new RequestError(ErrorCodes.INVALID_REPLICA_ASSIGNMENT, `partition ${a.partitionIndex}: the only broker is ${brokerConfig.nodeId}`);
            }
          }
          partitions = t.assignments.length;
        } else {
          partitions = t.numPartitions === -1 ? brokerConfig.defaultPartitions : t.numPartitions;
          if (partitions <= 0) throw new InvalidPartitionsError(`number of partitions must be larger than 0, got ${partitions}`);
          const rf = t.replicationFactor === -1 ? 1 : t.replicationFactor;
          if (rf <= 0) throw new RequestError(ErrorCodes.INVALID_REPLICATION_FACTOR, 'replication factor must be larger than 0');
          if (rf > 1) throw new RequestError(ErrorCodes.INVALID_REPLICATION_FACTOR, `replication factor ${rf} is larger than the number of brokers (1)`);
        }
        const overrides = topicConfigFromRequest(t.configs);
        if (topics.exists(t.name)) throw new RequestError(ErrorCodes.TOPIC_ALREADY_EXISTS, `topic ${t.name} already exists`);
        let effective: TopicConfig;
        if (req.validateOnly) {
          effective = resolveTopicConfig(parseTopicConfig(overrides), topics.defaults);
        } else {
          const created = await topics.create(t.name, { partitions, config: overrides });
          if (created === null) throw new RequestError(ErrorCodes.TOPIC_ALREADY_EXISTS, `topic ${t.name} already exists`);
          effective = created.config;
          result.topicId = topics.idOf(t.name);
        }
        result.numPartitions = partitions;
        result.replicationFactor = 1;
        result.configs = CONFIG_NAMES.map((name) => ({
          name,
          value: configValue(effective, name),
          readOnly: false,
          configSource: name in overrides ? ConfigSource.DYNAMIC_TOPIC_CONFIG : ConfigSource.DEFAULT_CONFIG,
          isSensitive: false,
        }));
      } catch (e) {
        result.errorCode = e instanceof RequestError ? e.errorCode : codeOf(ctx, e, `create topic ${t.name}`);
        result.errorMessage = messageOf(e);
      }
    }
    return { throttleTimeMs: 0, topics: results };
  },
});
