import { Admin, ConfigResourceTypes, ConfigSources } from '@platformatic/kafka';
import { CliError } from '../errors.js';
import type { TopicPartitionView, TopicView } from './model.js';

/** A Kafka error code the broker answered with (TOPIC_ALREADY_EXISTS, UNKNOWN_TOPIC_OR_PARTITION, ...), as its name. */
export class BrokerRefusedError extends CliError {
  constructor(code: string, message: string, cause: unknown) {
    super(code, message, undefined, { cause });
  }
}

const unknownTopic = (name: string): BrokerRefusedError => new BrokerRefusedError('UNKNOWN_TOPIC_OR_PARTITION', `no topic '${name}'`, undefined);

/** The first Kafka error code name in a platformatic error (a ResponseError holds one per topic). */
function kafkaCode(e: unknown): { code: string; message: string } | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const { apiId, message, errors } = e as { apiId?: unknown; message?: unknown; errors?: unknown };
  if (typeof apiId === 'string') return { code: apiId, message: typeof message === 'string' ? message : apiId };
  if (Array.isArray(errors)) for (const inner of errors) {
    const found = kafkaCode(inner);
    if (found) return found;
  }
  return undefined;
}

/**
 * Topics of a running broker (`tributary broker` or Apache Kafka) over the Kafka protocol, with
 * @platformatic/kafka's admin client: Metadata, CreateTopics, DeleteTopics, ListOffsets (earliest
 * and latest per partition) and DescribeConfigs (the topic's overrides).
 */
export class BrokerTopicSource {
  private readonly admin: Admin;

  constructor(bootstrap: readonly string[]) {
    this.admin = new Admin({ clientId: 'tributary-cli', bootstrapBrokers: [...bootstrap], retries: 2, timeout: 10_000 });
  }

  list(): Promise<string[]> {
    return this.refused(async () => (await this.admin.listTopics({ includeInternals: false })).sort());
  }

  create(name: string, partitions: number, config: Readonly<Record<string, string>>): Promise<TopicView> {
    return this.refused(async () => {
      // replicas -1: the broker's default.replication.factor.
      await this.admin.createTopics({ topics: [name], partitions, replicas: -1, configs: Object.entries(config).map(([n, value]) => ({ name: n, value })) });
      // Kafka answers CreateTopics before every broker's metadata has the topic: ask again for a while.
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.describeNow(name);
        } catch (e) {
          if (!(e instanceof BrokerRefusedError && e.code === 'UNKNOWN_TOPIC_OR_PARTITION') || attempt === 20) throw e;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    });
  }

  describe(name: string): Promise<TopicView> {
    return this.refused(() => this.describeNow(name));
  }

  delete(name: string): Promise<void> {
    return this.refused(() => this.admin.deleteTopics({ topics: [name] }));
  }

  async close(): Promise<void> {
    await this.admin.close();
  }

  private async describeNow(name: string): Promise<TopicView> {
    // Asked first: platformatic's metadata() answers an unknown topic with a plain error, without Kafka's code.
    if (!(await this.admin.listTopics({ includeInternals: true })).includes(name)) throw unknownTopic(name);
    const topic = (await this.admin.metadata({ topics: [name] })).topics.get(name);
    if (!topic) throw unknownTopic(name);
    const partitions = Array.from({ length: topic.partitionsCount }, (_, i) => i);
    const offsets = async (timestamp: bigint): Promise<Map<number, number>> => {
      const listed = await this.admin.listOffsets({ topics: [{ name, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })) }] });
      return new Map(listed.flatMap((t) => t.partitions.map((p) => [p.partitionIndex, Number(p.offset)] as const)));
    };
    // Kafka's ListOffsets timestamps: -2 the earliest offset (log start), -1 the latest (high watermark).
    const [starts, ends] = await Promise.all([offsets(-2n), offsets(-1n)]);
    const [described] = await this.admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: name }] });
    const config: Record<string, string> = {};
    for (const c of described?.configs ?? []) if (c.configSource === ConfigSources.TOPIC_CONFIG && c.value != null) config[c.name] = c.value;
    const views: TopicPartitionView[] = partitions.map((partition) => ({
      partition,
      logStartOffset: starts.get(partition) ?? 0,
      logEndOffset: ends.get(partition) ?? 0,
      highWatermark: ends.get(partition) ?? 0,
      sizeBytes: null,
      segments: null,
    }));
    return { name, topicId: topic.id, partitions: views, config };
  }

  /** Runs a request; a Kafka error code in the answer becomes a BrokerRefusedError with that code. */
  private async refused<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      if (e instanceof CliError) throw e;
      const found = kafkaCode(e);
      if (found) throw new BrokerRefusedError(found.code, found.message, e);
      throw e;
    }
  }
}
