import type { ConnectionOptions } from '@platformatic/kafka';
import { ApiKeys } from '../../protocol/api-keys.js';
import type { Compression } from '../../records/compression/index.js';
import type {
  ConsumerGroupMetadata,
  ConsumerOptions,
  GroupMembership,
  GroupOptions,
  Isolation,
  Log,
  LogConnector,
  LogConsumer,
  LogProducer,
  NewTopic,
  PartitionOffset,
  ProducerOptions,
  TopicInfo,
  TopicPartition,
} from '../log.js';
import { tpKey } from '../log.js';
import { COORDINATOR_GROUP, KafkaClient, type BrokerAddress } from './client.js';
import { KafkaConsumer } from './consumer.js';
import { KafkaGroupMember } from './group.js';
import { CODES, GroupMembershipLostError, KafkaResponseError, MEMBERSHIP_LOST, check } from './errors.js';
import { KafkaProducer } from './producer.js';

export { KafkaResponseError, KafkaConnectionError, GroupMembershipLostError } from './errors.js';

/** The null topic id: a DeleteTopics v6 entry named by its name. */
const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

export interface KafkaOptions {
  /** Bootstrap servers: "host:port" strings (or one comma-separated string). */
  readonly brokers: readonly string[] | string;
  /** Kafka's client.id; default 'tributary'. */
  readonly clientId?: string;
  /** Replication factor of the topics the application creates; default min(3, brokers in the cluster). */
  readonly replicationFactor?: number;
  /** Compression of produced batches (any codec of src/records); default 'none'. */
  readonly compression?: Compression;
  /** Connection settings for @platformatic/kafka: `tls`, `sasl`, `connectTimeout`, `requestTimeout`. */
  readonly connection?: ConnectionOptions;
  /**
   * Kafka's fetch.max.wait.ms: how long a Fetch may wait at the broker for data, even when the
   * application's poll waits less (its answer is then handed out by a later poll). Default 500, as
   * Kafka's: an idle application (polling every commit interval) sends ~2 Fetch requests a second
   * instead of ~10; 0 makes a Fetch wait only as long as the poll.
   */
  readonly fetchMaxWaitMs?: number;
}

/**
 * The Log over a real Kafka cluster (or anything speaking Kafka's protocol, `tributary broker`
 * included): `new StreamsApp({ applicationId, log: kafka({ brokers: ['127.0.0.1:9092'] }) })`.
 * See KafkaLog and src/connectors/log.ts for the contract.
 */
export function kafka(options: KafkaOptions): LogConnector {
  const brokers = typeof options.brokers === 'string' ? options.brokers.split(',').map((s) => s.trim()).filter(Boolean) : [...options.brokers];
  return {
    kind: 'kafka',
    async connect(): Promise<Log> {
      const client = await KafkaClient.create({ brokers, clientId: options.clientId ?? 'tributary', connection: options.connection });
      try {
        await client.retry('connect', () => client.metadata([]), 30_000);
      } catch (e) {
        await client.close();
        throw e;
      }
      return new KafkaLog(client, options);
    },
  };
}

/**
 * The Log interface on Kafka's protocol: admin (Metadata, CreateTopics, DescribeConfigs), offsets
 * (ListOffsets: earliest, latest, and the last stable offset for read_committed), reading
 * (KafkaConsumer: Fetch, raw batches), group offsets (OffsetFetch with require_stable, so an
 * offset still inside an open transaction is never returned; OffsetCommit) and the transactional
 * producer (KafkaProducer).
 */
export class KafkaLog implements Log {
  readonly kind = 'kafka';

  constructor(
    readonly client: KafkaClient,
    private readonly options: KafkaOptions,
  ) {}

  async describeTopics(topics: readonly string[]): Promise<Map<string, TopicInfo>> {
    const out = new Map<string, TopicInfo>();
    if (topics.length === 0) return out;
    const md = await this.client.retry('Metadata', () => this.client.metadata(topics));
    const found = md.topics.filter((t) => t.errorCode === 0 && t.name !== null).map((t) => ({ name: t.name!, partitions: t.partitions.length }));
    if (found.length === 0) return out;
    const configs = await this.client.retry('DescribeConfigs', () =>
      this.client.anyBroker((b) =>
        this.client.call(b, ApiKeys.DescribeConfigs, {
          resources: found.map((t) => ({ resourceType: 2, resourceName: t.name, configurationKeys: null })),
          includeSynonyms: false,
          includeDocumentation: false,
        }),
      ),
    );
    const byName = new Map(configs.results.map((r) => [r.resourceName, r]));
    for (const t of found) {
      const config: Record<string, string> = {};
      const r = byName.get(t.name);
      if (r && r.errorCode === 0) for (const c of r.configs) if (c.value !== null) config[c.name] = c.value;
      out.set(t.name, { partitions: t.partitions, config });
    }
    return out;
  }

  /** Creates the missing topics with the cluster's replication factor (min(3, brokers)) and waits until every partition has a leader. */
  async createTopics(topics: readonly NewTopic[]): Promise<void> {
    if (topics.length === 0) return;
    if (this.client.brokerCount === 0) await this.client.metadata([]);
    const rf = this.options.replicationFactor ?? Math.max(1, Math.min(3, this.client.brokerCount));
    await this.client.retry('CreateTopics', async () => {
      const r = await this.client.anyBroker((b) =>
        this.client.call(b, ApiKeys.CreateTopics, {
          topics: topics.map((t) => ({
            name: t.name,
            numPartitions: t.partitions,
            replicationFactor: rf,
            assignments: [],
            configs: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value: String(value) })),
          })),
          timeoutMs: 30_000,
          validateOnly: false,
        }),
      );
      for (const t of r.topics) if (t.errorCode !== CODES.TOPIC_ALREADY_EXISTS) check(t.errorCode, `CreateTopics ${t.name}`, t.errorMessage);
    });
    // Kafka creates partitions asynchronously: wait until metadata shows a leader for each.
    const names = topics.map((t) => t.name);
    await this.client.retry('CreateTopics (waiting for leaders)', async () => {
      const md = await this.client.metadata(names);
      for (const t of md.topics) {
        check(t.errorCode, `Metadata ${t.name}`);
        for (const p of t.partitions) if (p.leaderId < 0) throw new KafkaResponseError(5, `Metadata ${t.name}-${p.partitionIndex}`);
      }
    });
  }

  /** DeleteTopics by name (through any broker, which forwards it to the controller); unknown topics are skipped. */
  async deleteTopics(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    await this.client.retry('DeleteTopics', async () => {
      const r = await this.client.anyBroker((b) =>
        this.client.call(b, ApiKeys.DeleteTopics, (version) =>
          version >= 6 ? { topics: names.map((name) => ({ name, topicId: ZERO_UUID })), timeoutMs: 30_000 } : { topicNames: [...names], timeoutMs: 30_000 },
        ),
      );
      for (const t of r.responses) if (t.errorCode !== CODES.UNKNOWN_TOPIC_OR_PARTITION) check(t.errorCode, `DeleteTopics ${t.name ?? t.topicId}`, t.errorMessage);
    });
  }

  endOffsets(partitions: readonly TopicPartition[], isolation: Isolation = 'read_committed'): Promise<number[]> {
    return this.listOffsets(partitions, -1n, isolation === 'read_committed' ? 1 : 0);
  }

  beginningOffsets(partitions: readonly TopicPartition[]): Promise<number[]> {
    return this.listOffsets(partitions, -2n, 0);
  }

  private async listOffsets(partitions: readonly TopicPartition[], timestamp: bigint, isolationLevel: number): Promise<number[]> {
    if (partitions.length === 0) return [];
    const result = new Map<string, number>();
    await this.client.retry('ListOffsets', async () => {
      const byLeader = new Map<number, { broker: BrokerAddress; tps: TopicPartition[] }>();
      for (const tp of partitions) {
        if (result.has(tpKey(tp.topic, tp.partition))) continue;
        const leader = await this.client.leaderFor(tp.topic, tp.partition);
        let g = byLeader.get(leader.nodeId);
        if (!g) byLeader.set(leader.nodeId, (g = { broker: leader, tps: [] }));
        g.tps.push(tp);
      }
      await Promise.all(
        [...byLeader.values()].map(async (g) => {
          const topics = new Map<string, number[]>();
          for (const tp of g.tps) {
            let t = topics.get(tp.topic);
            if (!t) topics.set(tp.topic, (t = []));
            t.push(tp.partition);
          }
          const r = await this.client.call(g.broker, ApiKeys.ListOffsets, {
            replicaId: -1,
            isolationLevel,
            topics: [...topics].map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex, timestamp, currentLeaderEpoch: -1 })) })),
          });
          for (const t of r.topics) {
            for (const p of t.partitions) {
              check(p.errorCode, `ListOffsets ${t.name}-${p.partitionIndex}`);
              result.set(tpKey(t.name, p.partitionIndex), Number(p.offset));
            }
          }
        }),
      );
    });
    return partitions.map((tp) => result.get(tpKey(tp.topic, tp.partition))!);
  }

  consumer(options?: ConsumerOptions): LogConsumer {
    return new KafkaConsumer(this.client, (tps) => this.beginningOffsets(tps), options, this.options.fetchMaxWaitMs ?? 500);
  }

  async committedOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<number[]> {
    if (partitions.length === 0) return [];
    const topics = new Map<string, number[]>();
    for (const tp of partitions) {
      let t = topics.get(tp.topic);
      if (!t) topics.set(tp.topic, (t = []));
      t.push(tp.partition);
    }
    const found = new Map<string, number>();
    await this.client.retry(`OffsetFetch(${groupId})`, async () => {
      const coord = await this.client.coordinator(COORDINATOR_GROUP, groupId);
      // require_stable: wait (UNSTABLE_OFFSET_COMMIT, retried) while a transaction with offsets for these partitions is open.
      const r = await this.client.call(coord, ApiKeys.OffsetFetch, {
        groupId,
        topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
        requireStable: true,
      });
      check(r.errorCode, `OffsetFetch(${groupId})`);
      for (const t of r.topics) {
        for (const p of t.partitions) {
          check(p.errorCode, `OffsetFetch(${groupId}) ${t.name}-${p.partitionIndex}`);
          found.set(tpKey(t.name, p.partitionIndex), Number(p.committedOffset));
        }
      }
    });
    return partitions.map((tp) => found.get(tpKey(tp.topic, tp.partition)) ?? -1);
  }

  async commitOffsets(groupId: string, offsets: readonly PartitionOffset[], member?: ConsumerGroupMetadata): Promise<void> {
    if (offsets.length === 0) return;
    const topics = new Map<string, Array<{ partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }>>();
    for (const o of offsets) {
      let t = topics.get(o.topic);
      if (!t) topics.set(o.topic, (t = []));
      t.push({ partitionIndex: o.partition, committedOffset: BigInt(o.offset), committedLeaderEpoch: -1, committedMetadata: '' });
    }
    await this.client.retry(`OffsetCommit(${groupId})`, async () => {
      const coord = await this.client.coordinator(COORDINATOR_GROUP, groupId);
      const r = await this.client.call(coord, ApiKeys.OffsetCommit, {
        groupId,
        generationIdOrMemberEpoch: member?.generationId ?? -1,
        memberId: member?.memberId ?? '',
        groupInstanceId: member?.groupInstanceId ?? null,
        topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
      });
      for (const t of r.topics) {
        for (const p of t.partitions) {
          if (p.errorCode === 0) continue;
          const e = new KafkaResponseError(p.errorCode, `OffsetCommit(${groupId}) ${t.name}-${p.partitionIndex}`);
          if (member && MEMBERSHIP_LOST.has(e.kafkaName)) throw new GroupMembershipLostError(e.code, `${e.message}: this member was fenced out of group ${groupId}`, { cause: e });
          throw e;
        }
      }
    });
  }

  async joinGroup(groupId: string, options: GroupOptions): Promise<GroupMembership> {
    const member = new KafkaGroupMember(this.client, groupId, options);
    await member.rejoin();
    return member;
  }

  producer(options: ProducerOptions = {}): Promise<LogProducer> {
    return KafkaProducer.create(this.client, { ...options, compression: this.options.compression });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
