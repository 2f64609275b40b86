import type { MessagePort } from 'node:worker_threads';
import { groupPartition } from '../../log/consumer-offsets.js';
import { AssignedPartitions, type AssignedPartition } from '../assigned-partitions.js';
import { offsetCommitRecords } from '../embedded/group-offsets.js';
import { EmbeddedProducer, type ProducerLogs, type ProducerOffsets, type ProducerPartition, type TxnCoordinator } from '../embedded/producer.js';
import { retryConcurrent } from '../embedded/retry.js';
import {
  tpKey,
  type ConsumerOptions,
  type FetchedPartition,
  type Isolation,
  type Log,
  type LogConnector,
  type LogConsumer,
  type LogProducer,
  type NewTopic,
  type PartitionOffset,
  type ProducerOptions,
  type TopicInfo,
  type TopicPartition,
} from '../log.js';
import { detachedCopy, PortClient } from './protocol.js';
import type { WireFetchedPartition, WireLimits } from './server.js';

/**
 * The embedded log of another thread, for an application running in a worker thread
 * (`runThreads`): every Log call crosses `port` to the thread that owns the LogManager
 * (server.ts). The producer runs here — records are encoded into batches in this thread, and
 * only whole batches cross — with the owner's transaction coordinator and group offsets behind
 * it, so transactions, fencing and read_committed behave as on the embedded log itself.
 */
export function threadLog(port: MessagePort): LogConnector {
  const client = new PortClient(port);
  return {
    kind: 'embedded',
    async connect(): Promise<Log> {
      return new ThreadLog(client);
    },
  };
}

/** Consumer ids, unique per worker (every ThreadLog of a worker shares its port). */
let consumerIds = 0;

class ThreadLog implements Log {
  readonly kind = 'embedded';
  /** Topics' batch limits, as last heard: a producer's batches are cut to fit them. */
  private readonly limits = new Map<string, WireLimits>();
  private readonly partitions: ProducerLogs;

  constructor(private readonly client: PortClient) {
    const cache = new Map<string, ProducerPartition>();
    this.partitions = {
      partition: (topic, partition) => {
        const key = tpKey(topic, partition);
        let p = cache.get(key);
        if (!p) cache.set(key, (p = this.partition(topic, partition)));
        return p;
      },
    };
  }

  async describeTopics(topics: readonly string[]): Promise<Map<string, TopicInfo>> {
    const found = new Map(await this.client.call<Array<[string, TopicInfo]>>('describeTopics', [topics]));
    for (const [name, info] of found) this.limits.set(name, [Number(info.config['max.message.bytes']), Number(info.config['segment.bytes'])]);
    return found;
  }

  async createTopics(topics: readonly NewTopic[]): Promise<void> {
    await this.client.call('createTopics', [topics]);
    if (topics.length > 0) await this.describeTopics(topics.map((t) => t.name));
  }

  endOffsets(partitions: readonly TopicPartition[], isolation: Isolation = 'read_committed'): Promise<number[]> {
    return this.client.call('endOffsets', [partitions, isolation]);
  }

  beginningOffsets(partitions: readonly TopicPartition[]): Promise<number[]> {
    return this.client.call('beginningOffsets', [partitions]);
  }

  consumer(options: ConsumerOptions = {}): LogConsumer {
    return new ThreadConsumer(this.client, ++consumerIds, options);
  }

  committedOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<number[]> {
    return this.client.call('committedOffsets', [groupId, partitions]);
  }

  async commitOffsets(groupId: string, offsets: readonly PartitionOffset[]): Promise<void> {
    await this.client.call('commitOffsets', [groupId, offsets]);
  }

  async deleteRecords(offsets: readonly PartitionOffset[]): Promise<void> {
    await this.client.call('deleteRecords', [offsets]);
  }

  async deleteTopics(names: readonly string[]): Promise<void> {
    await this.client.call('deleteTopics', [names]);
  }

  async producer(options: ProducerOptions = {}): Promise<LogProducer> {
    const client = this.client;
    const count = await client.call<number>('offsetsPartitions', []);
    const offsets: ProducerOffsets = {
      partitionFor: (group) => groupPartition(group, count),
      records: offsetCommitRecords,
      addPending: (pid, group, list) => client.notify('addPending', [pid, group, list]),
    };
    const tid = options.transactionalId;
    if (tid === undefined) return new EmbeddedProducer(this.partitions, offsets, null, undefined, -1, -1, options.batchBytes);
    const coordinator: TxnCoordinator = {
      initProducerId: (id, timeoutMs) => client.call('initProducerId', [id, timeoutMs]),
      addPartitions: (id, pid, epoch, tps) => client.call('addPartitions', [id, pid, epoch, tps]),
      addOffsets: (id, pid, epoch, group) => client.call('addOffsets', [id, pid, epoch, group]),
      endTxn: (id, pid, epoch, commit) => client.call('endTxn', [id, pid, epoch, commit]),
    };
    const { producerId, producerEpoch } = await retryConcurrent(() => coordinator.initProducerId(tid, options.transactionTimeoutMs ?? 60_000));
    return new EmbeddedProducer(this.partitions, offsets, coordinator, tid, producerId, producerEpoch, options.batchBytes);
  }

  async close(): Promise<void> {
    await this.client.call('close', []).catch(() => {});
  }

  /** A partition as the producer sees it: limits from what was last heard (Kafka's defaults until then), appends across. */
  private partition(topic: string, partition: number): ProducerPartition {
    const limits = this.limits;
    const client = this.client;
    return {
      get config() {
        const l = limits.get(topic);
        return { 'max.message.bytes': l?.[0] ?? DEFAULT_MAX_MESSAGE_BYTES, 'segment.bytes': l?.[1] ?? DEFAULT_SEGMENT_BYTES };
      },
      async append(batch) {
        const ab = detachedCopy(batch);
        limits.set(topic, await client.call<WireLimits>('append', [topic, partition, ab], [ab]));
      },
    };
  }
}

/** Kafka's defaults for a topic not described yet (topic-config.ts). */
const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024 + 12;
const DEFAULT_SEGMENT_BYTES = 1024 * 1024 * 1024;

/**
 * A consumer whose reads happen in the log's thread: assignment, positions and pauses are kept
 * here (what position() answers) and mirrored there, in order, by notifications.
 */
class ThreadConsumer extends AssignedPartitions<AssignedPartition> implements LogConsumer {
  constructor(
    private readonly client: PortClient,
    private readonly id: number,
    options: ConsumerOptions,
  ) {
    super(options);
    client.notify('consumer', [id, options]);
  }

  protected assigned(p: PartitionOffset): AssignedPartition {
    return { topic: p.topic, partition: p.partition, position: p.offset, paused: false };
  }

  override assign(partitions: readonly PartitionOffset[]): void {
    this.client.notify('assign', [this.id, partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset }))]);
    super.assign(partitions);
  }

  override seek(tp: TopicPartition, offset: number): void {
    super.seek(tp, offset);
    this.client.notify('seek', [this.id, { topic: tp.topic, partition: tp.partition }, offset]);
  }

  override pause(partitions: readonly TopicPartition[]): void {
    super.pause(partitions);
    this.client.notify('pause', [this.id, partitions.map((p) => ({ topic: p.topic, partition: p.partition }))]);
  }

  override resume(partitions: readonly TopicPartition[]): void {
    this.client.notify('resume', [this.id, partitions.map((p) => ({ topic: p.topic, partition: p.partition }))]);
    super.resume(partitions);
  }

  async fetch(maxWaitMs: number): Promise<FetchedPartition[]> {
    const fetched = await this.client.call<WireFetchedPartition[]>('fetch', [this.id, maxWaitMs]);
    return fetched.map((f) => {
      const p = this.parts.get(tpKey(f.topic, f.partition));
      if (p) p.position = f.nextOffset;
      return { ...f, records: Buffer.from(f.records) };
    });
  }

  wakeup(): void {
    this.client.notify('wakeup', [this.id]);
  }

  close(): void {
    this.client.notify('closeConsumer', [this.id]);
  }
}
