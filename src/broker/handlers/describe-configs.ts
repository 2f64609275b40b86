import type { ConfigName, TopicConfig } from '../../log/index.js';
import { ApiKeys, ErrorCodes, type DescribeConfigsResponseResourceResult, type DescribeConfigsResponseResult } from '../../protocol/index.js';
import type { RequestContext } from '../context.js';
import { codeOf, messageOf } from '../errors.js';
import { defineHandler } from '../handler.js';
import { CONFIG_NAMES, ConfigSource, ConfigType, configType, configValue } from './topic-configs.js';

const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;

/** Kafka's broker-level names of the topic defaults (log.* settings). */
const BROKER_NAMES: { readonly [K in ConfigName]: string } = {
  'cleanup.policy': 'log.cleanup.policy',
  'segment.bytes': 'log.segment.bytes',
  'segment.ms': 'log.roll.ms',
  'retention.ms': 'log.retention.ms',
  'retention.bytes': 'log.retention.bytes',
  'max.message.bytes': 'message.max.bytes',
  'delete.retention.ms': 'log.cleaner.delete.retention.ms',
  'min.compaction.lag.ms': 'log.cleaner.min.compaction.lag.ms',
  'min.cleanable.dirty.ratio': 'log.cleaner.min.cleanable.ratio',
  'message.timestamp.type': 'log.message.timestamp.type',
  'index.interval.bytes': 'log.index.interval.bytes',
};

function entry(
  ctx: RequestContext,
  name: string,
  value: string,
  source: number,
  type: number,
  synonyms: DescribeConfigsResponseResourceResult['synonyms'],
  includeSynonyms: boolean,
): DescribeConfigsResponseResourceResult {
  return {
    name,
    value,
    readOnly: source === ConfigSource.STATIC_BROKER_CONFIG,
    isDefault: ctx.apiVersion === 0 && source === ConfigSource.DEFAULT_CONFIG,
    configSource: source,
    isSensitive: false,
    synonyms: includeSynonyms ? synonyms : [],
    configType: type,
    documentation: null,
  };
}

function topicConfigs(ctx: RequestContext, name: string, keys: string[] | null, includeSynonyms: boolean): DescribeConfigsResponseResourceResult[] {
  const d = ctx.broker.topics.describe(name);
  const defaults: TopicConfig = ctx.broker.topics.defaults;
  const wanted = keys === null ? CONFIG_NAMES : CONFIG_NAMES.filter((n) => keys.includes(n));
  return wanted.map((n) => {
    const overridden = n in d.overrides;
    const synonyms = [
      ...(overridden ? [{ name: n, value: configValue(d.config, n), source: ConfigSource.DYNAMIC_TOPIC_CONFIG }] : []),
      { name: BROKER_NAMES[n], value: configValue(defaults, n), source: ConfigSource.DEFAULT_CONFIG },
    ];
    return entry(ctx, n, configValue(d.config, n), overridden ? ConfigSource.DYNAMIC_TOPIC_CONFIG : ConfigSource.DEFAULT_CONFIG, configType(n), synonyms, includeSynonyms);
  });
}

function brokerConfigs(ctx: RequestContext, keys: string[] | null, includeSynonyms: boolean): DescribeConfigsResponseResourceResult[] {
  const { config, topics } = ctx.broker;
  const self = ctx.broker.endpoint();
  const all: [string, string, number][] = [
    ['broker.id', String(config.nodeId), ConfigType.INT],
    ['node.id', String(config.nodeId), ConfigType.INT],
    ['advertised.listeners', `PLAINTEXT://${self.host}:${self.port}`, ConfigType.STRING],
    ['auto.create.topics.enable', String(config.autoCreateTopics), ConfigType.BOOLEAN],
    ['num.partitions', String(config.defaultPartitions), ConfigType.INT],
    ['default.replication.factor', '1', ConfigType.INT],
    ['offsets.topic.num.partitions', String(config.offsetsTopicPartitions), ConfigType.INT],
    ['offsets.topic.replication.factor', '1', ConfigType.INT],
    ['group.initial.rebalance.delay.ms', String(config.groupInitialRebalanceDelayMs), ConfigType.INT],
    ['group.min.session.timeout.ms', String(config.groupMinSessionTimeoutMs), ConfigType.INT],
    ['group.max.session.timeout.ms', String(config.groupMaxSessionTimeoutMs), ConfigType.INT],
    ['socket.request.max.bytes', String(config.maxFrameBytes), ConfigType.INT],
    ['log.dirs', ctx.broker.log.dataDir, ConfigType.STRING],
    ...CONFIG_NAMES.map((n): [string, string, number] => [BROKER_NAMES[n], configValue(topics.defaults, n), configType(n)]),
  ];
  return all
    .filter(([name]) => keys === null || keys.includes(name))
    .map(([name, value, type]) => entry(ctx, name, value, ConfigSource.STATIC_BROKER_CONFIG, type, [{ name, value, source: ConfigSource.STATIC_BROKER_CONFIG }], includeSynonyms));
}

/** DescribeConfigs: topic configs from the log with Kafka's names and sources; a minimal broker resource. */
export const describeConfigs = defineHandler({
  apiKey: ApiKeys.DescribeConfigs,
  handle(ctx, req) {
    const includeSynonyms = ctx.apiVersion >= 1 && req.includeSynonyms === true;
    const results: DescribeConfigsResponseResult[] = req.resources.map((r) => {
      const result: DescribeConfigsResponseResult = {
        errorCode: ErrorCodes.NONE,
        errorMessage: null,
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        configs: [],
      };
      try {
        if (r.resourceType === RESOURCE_TOPIC) {
          if (!ctx.broker.topics.exists(r.resourceName)) {
            result.errorCode = ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION;
            result.errorMessage = `unknown topic ${r.resourceName}`;
          } else {
            result.configs = topicConfigs(ctx, r.resourceName, r.configurationKeys, includeSynonyms);
          }
        } else if (r.resourceType === RESOURCE_BROKER) {
          if (r.resourceName !== '' && r.resourceName !== String(ctx.broker.config.nodeId)) {
            result.errorCode = ErrorCodes.INVALID_REQUEST;
            result.errorMessage = `unexpected broker id ${r.resourceName}; this is broker ${ctx.broker.config.nodeId}`;
          } else {
            result.configs = brokerConfigs(ctx, r.configurationKeys, includeSynonyms);
          }
        } else {
          result.errorCode = ErrorCodes.INVALID_REQUEST;
          result.errorMessage = `resource type ${r.resourceType} is not supported`;
        }
      } catch (e) {
        result.errorCode = codeOf(ctx, e, `describe configs of ${r.resourceName}`);
        result.errorMessage = messageOf(e);
      }
      return result;
    });
    return { throttleTimeMs: 0, results };
  },
});
