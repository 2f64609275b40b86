import { CONFIG_NAMES, parseTopicConfig, type ConfigName, type TopicConfig } from '../../log/index.js';
import { InvalidConfigError } from '../../log/index.js';

/** Kafka's DescribeConfigs config sources. */
export const ConfigSource = { DYNAMIC_TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;
/** Kafka's DescribeConfigs config types. */
export const ConfigType = { BOOLEAN: 1, STRING: 2, INT: 3, LONG: 5, DOUBLE: 6, LIST: 7 } as const;

const TYPES: { readonly [K in ConfigName]: number } = {
  'cleanup.policy': ConfigType.LIST,
  'segment.bytes': ConfigType.INT,
  'segment.ms': ConfigType.LONG,
  'retention.ms': ConfigType.LONG,
  'retention.bytes': ConfigType.LONG,
  'max.message.bytes': ConfigType.INT,
  'delete.retention.ms': ConfigType.LONG,
  'min.compaction.lag.ms': ConfigType.LONG,
  'min.cleanable.dirty.ratio': ConfigType.DOUBLE,
  'message.timestamp.type': ConfigType.STRING,
  'index.interval.bytes': ConfigType.INT,
};

export function configType(name: ConfigName): number {
  return TYPES[name];
}

export function configValue(config: TopicConfig, name: ConfigName): string {
  return String(config[name]);
}

/**
 * Kafka topic configs that mean nothing for one node's embedded log (replication, down-conversion)
 * and are accepted and ignored on CreateTopics, as are their harmless values of others.
 */
const IGNORED: ReadonlyMap<string, (value: string) => boolean> = new Map([
  ['min.insync.replicas', (v: string) => v.trim() === '1'],
  ['unclean.leader.election.enable', () => true],
  ['leader.replication.throttled.replicas', () => true],
  ['follower.replication.throttled.replicas', () => true],
  ['message.downconversion.enable', () => true],
  ['preallocate', () => true],
  ['compression.type', (v: string) => v.trim() === 'producer'],
]);

/** Validates CreateTopics configs (Kafka names) into the log's typed overrides; InvalidConfigError names the first bad one. */
export function topicConfigFromRequest(configs: readonly { name: string; value: string | null }[]): Partial<TopicConfig> {
  const raw: Record<string, string> = {};
  for (const c of configs) {
    if (c.value === null) continue;
    const ignore = IGNORED.get(c.name);
    if (ignore !== undefined) {
      if (ignore(c.value)) continue;
      throw new InvalidConfigError(`${c.name}=${c.value} is not supported by this single-node broker`);
    }
    raw[c.name] = c.value;
  }
  return parseTopicConfig(raw);
}

export { CONFIG_NAMES };
