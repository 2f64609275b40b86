import {
  CONSUMER_OFFSETS_TOPIC,
  TRANSACTION_STATE_TOPIC,
  DEFAULT_TOPIC_CONFIG,
  parseTopicConfig,
  resolveTopicConfig,
  type TopicConfig,
  TopicAlreadyExistsError,
  type LogManager,
  type PartitionLog,
  type TopicConfigInput,
  type TopicDescription,
} from '../log/index.js';
import type { BrokerConfig, BrokerLogger } from './options.js';

/** Kafka's internal topics: hidden from auto-creation and client writes, flagged isInternal in Metadata. */
export { CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC };
const INTERNAL = new Set([CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC]);

export function isInternalTopic(name: string): boolean {
  return INTERNAL.has(name);
}

/** Kafka's all-zero topic id, sent where a topic id is unknown. */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

/** The log's topic id (a canonical 8-4-4-4-12 hex uuid) in Kafka's wire text form (22-char base64url). */
export function wireTopicId(logTopicId: string): string {
  const hex = logTopicId.replaceAll('-', '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return ZERO_UUID;
  return Buffer.from(hex, 'hex').toString('base64url');
}

/**
 * Topic lookups and auto-creation for the handlers. Topic ids are cached by name (the log computes
 * them only in describeTopic, which describes every partition): the cache is refreshed when a
 * topic this broker creates or deletes changes, and on a miss.
 */
export class TopicService {
  private readonly ids = new Map<string, string>();
  private byId = new Map<string, string>();
  /** Creations in flight, so concurrent auto-creations of one topic share one create. */
  private readonly creating = new Map<string, Promise<void>>();

  /**
   * The topic defaults the log resolves overrides against (what validateOnly creations and the broker
   * resource of DescribeConfigs report). Known when the broker opened the log; Kafka's otherwise.
   */
  readonly defaults: TopicConfig;

  constructor(
    private readonly log: LogManager,
    private readonly config: BrokerConfig,
    private readonly logger: BrokerLogger,
    defaults: TopicConfigInput | undefined,
  ) {
    this.defaults = resolveTopicConfig(parseTopicConfig(defaults), DEFAULT_TOPIC_CONFIG);
  }

  exists(name: string): boolean {
    return this.log.hasTopic(name);
  }

  /** The log itself, for the group coordinator's `__consumer_offsets` (src/log/consumer-offsets.ts). */
  get manager(): LogManager {
    return this.log;
  }

  /** The partition's log, or throws UnknownTopicOrPartitionError. */
  partition(topic: string, partition: number): PartitionLog {
    return this.log.partition(topic, partition);
  }

  /** Partitions of a topic; 0 when there is no such topic. */
  partitionCount(name: string): number {
    return this.log.partitionCount(name);
  }

  /**
   * Makes sure a topic exists, creating it when auto-creation is on: true when it exists afterwards.
   * Invalid names throw InvalidTopicError; internal topics are never auto-created here.
   */
  async ensure(name: string, allowAutoCreate = true): Promise<boolean> {
    if (this.log.hasTopic(name)) return true;
    if (!allowAutoCreate || !this.config.autoCreateTopics || isInternalTopic(name)) return false;
    await this.create(name, { partitions: this.config.defaultPartitions }, true);
    return this.log.hasTopic(name);
  }

  /** Creates a topic; with `ifAbsent`, an existing one is not an error. */
  async create(name: string, options: { partitions: number; config?: TopicConfigInput }, ifAbsent = false): Promise<TopicDescription | null> {
    const pending = this.creating.get(name);
    if (pending !== undefined) {
      await pending.catch(() => {});
      if (ifAbsent) return null;
      throw new TopicAlreadyExistsError(`topic ${name} already exists`);
    }
    let description: TopicDescription | null = null;
    const run = (async () => {
      try {
        description = await this.log.createTopic(name, options);
        this.remember(description);
        this.logger.info(`created topic ${name} with ${options.partitions} partition(s)${ifAbsent ? ' (auto-created)' : ''}`);
      } catch (e) {
        if (!(ifAbsent && e instanceof TopicAlreadyExistsError)) throw e;
      }
    })();
    this.creating.set(name, run);
    try {
      await run;
    } finally {
      this.creating.delete(name);
    }
    return description;
  }

  async delete(name: string): Promise<void> {
    await this.log.deleteTopic(name);
    const id = this.ids.get(name);
    this.ids.delete(name);
    if (id !== undefined) this.byId.delete(id);
  }

  describe(name: string): TopicDescription {
    const d = this.log.describeTopic(name);
    this.remember(d);
    return d;
  }

  /** The wire topic id of a topic, or ZERO_UUID when it does not exist. */
  idOf(name: string): string {
    const cached = this.ids.get(name);
    if (cached !== undefined) return cached;
    if (!this.log.hasTopic(name)) return ZERO_UUID;
    return wireTopicId(this.describe(name).topicId);
  }

  /** The topic with a wire topic id, or null. */
  nameOf(id: string): string | null {
    let name = this.byId.get(id);
    if (name !== undefined && this.log.hasTopic(name) && this.ids.get(name) === id) return name;
    this.refreshIds();
    name = this.byId.get(id);
    return name ?? null;
  }

  private remember(d: TopicDescription): void {
    const id = wireTopicId(d.topicId);
    const old = this.ids.get(d.name);
    if (old !== undefined && old !== id) this.byId.delete(old);
    this.ids.set(d.name, id);
    this.byId.set(id, d.name);
  }

  private refreshIds(): void {
    this.ids.clear();
    this.byId = new Map();
    for (const name of this.log.listTopics()) {
      try {
        this.remember(this.log.describeTopic(name));
      } catch {
        // deleted meanwhile
      }
    }
  }

  list(): string[] {
    return this.log.listTopics();
  }
}
