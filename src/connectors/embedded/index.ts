import { resolve } from 'node:path';
import { LogManager, type LogManagerOptions } from '../../log/log-manager.js';
import type { FsyncPolicy } from '../../log/partition-log.js';
import { TopicAlreadyExistsError } from '../../log/errors.js';
import type { TopicConfigInput } from '../../log/topic-config.js';
import { retryConcurrent } from './retry.js';
import type {
  ConsumerOptions,
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
import { EmbeddedConsumer } from './consumer.js';
import { GroupOffsetsStore } from './group-offsets.js';
import { EmbeddedProducer } from './producer.js';
import type { TxnCoordinator } from './producer.js';

export { CONSUMER_OFFSETS_TOPIC, GroupOffsetsStore } from './group-offsets.js';

export interface EmbeddedOptions {
  /** The log's data directory (created if needed). One process at a time may open it. */
  readonly dataDir?: string;
  /** The log's fsync policy (LogManagerOptions.fsync); default 'interval'. */
  readonly fsync?: FsyncPolicy;
  /** More LogManager options (intervals, topic defaults, logger). */
  readonly logOptions?: Omit<LogManagerOptions, 'dataDir' | 'fsync'>;
  /** An already open LogManager to use instead (its owner closes it). */
  readonly manager?: LogManager;
}

/** What one LogManager shares among every Log on it in this process: coordinator, offsets. */
export interface Services {
  readonly offsets: GroupOffsetsStore;
  readonly coordinator: TxnCoordinator;
}

const services = new WeakMap<LogManager, Promise<Services>>();

/**
 * The log's transaction coordinator (src/log/transactions, one per LogManager) and this
 * connector's group offsets store, wired together: the store applies a transaction's pending
 * offsets when the coordinator reports its completion.
 */
function servicesOf(manager: LogManager): Promise<Services> {
  let s = services.get(manager);
  if (!s) {
    s = (async () => {
      const offsets = new GroupOffsetsStore(manager);
      // The offsets topic first: the coordinator marks a group's offsets partition only if it exists.
      await offsets.ensureTopic();
      const coordinator = await manager.transactionCoordinator();
      coordinator.onTransactionComplete((c) => offsets.onTransactionEnd(c.producerId, c.committed));
      return { offsets, coordinator };
    })();
    services.set(manager, s);
    s.catch(() => services.delete(manager));
  }
  return s;
}

/** Open LogManagers by data directory: every app of the process on one directory shares one. */
const open = new Map<string, { manager: Promise<LogManager>; refs: number }>();

/**
 * The embedded log: Tributary's own Kafka-compatible log in this process, under `dataDir`.
 * Several applications of one process on the same directory share one LogManager (and one
 * transaction coordinator, so a second instance of an application fences the first).
 *
 *   new StreamsApp({ applicationId: 'clicks', log: embedded({ dataDir: './data' }) })
 */
export function embedded(options: EmbeddedOptions): LogConnector {
  if (!options.manager && !options.dataDir) throw new TypeError('embedded(): give a dataDir (or an open LogManager as manager)');
  return {
    kind: 'embedded',
    async connect(): Promise<Log> {
      if (options.manager) return new EmbeddedLog(options.manager, await servicesOf(options.manager), async () => {});
      const dir = resolve(options.dataDir!);
      let entry = open.get(dir);
      if (!entry) {
        entry = { manager: LogManager.open({ ...options.logOptions, dataDir: dir, fsync: options.fsync ?? 'interval' }), refs: 0 };
        open.set(dir, entry);
        entry.manager.catch(() => open.delete(dir));
      }
      entry.refs++;
      const e = entry;
      let manager: LogManager;
      let s: Services;
      try {
        manager = await e.manager;
        s = await servicesOf(manager);
      } catch (err) {
        if (--e.refs === 0) {
          open.delete(dir);
          await e.manager.then((m) => m.close()).catch(() => {});
        }
        throw err;
      }
      return new EmbeddedLog(manager, s, async () => {
        if (--e.refs > 0) return;
        open.delete(dir);
        await manager.close();
      });
    },
  };
}

/** The Log interface over a LogManager (see src/connectors/log.ts for the contract). */
export class EmbeddedLog implements Log {
  readonly kind = 'embedded';
  private closed = false;

  constructor(
    readonly manager: LogManager,
    /** @internal The LogManager's coordinator and offsets store (what a log served to worker threads needs). */
    readonly services: Services,
    private readonly release: () => Promise<void>,
  ) {}

  async describeTopics(topics: readonly string[]): Promise<Map<string, TopicInfo>> {
    const out = new Map<string, TopicInfo>();
    for (const t of topics) {
      if (!this.manager.hasTopic(t)) continue;
      const d = this.manager.describeTopic(t);
      out.set(t, { partitions: d.partitions.length, config: { ...d.config } as Record<string, string | number> });
    }
    return out;
  }

  async createTopics(topics: readonly NewTopic[]): Promise<void> {
    for (const t of topics) {
      if (this.manager.hasTopic(t.name)) continue;
      try {
        await this.manager.createTopic(t.name, { partitions: t.partitions, config: t.config as TopicConfigInput | undefined });
      } catch (e) {
        if (!(e instanceof TopicAlreadyExistsError)) throw e;
      }
    }
  }

  async endOffsets(partitions: readonly TopicPartition[], isolation: Isolation = 'read_committed'): Promise<number[]> {
    return partitions.map((tp) => {
      const p = this.manager.partition(tp.topic, tp.partition);
      return isolation === 'read_committed' ? p.lastStableOffset : p.highWatermark;
    });
  }

  async beginningOffsets(partitions: readonly TopicPartition[]): Promise<number[]> {
    return partitions.map((tp) => this.manager.partition(tp.topic, tp.partition).logStartOffset);
  }

  async deleteRecords(offsets: readonly PartitionOffset[]): Promise<void> {
    for (const o of offsets) await this.manager.partition(o.topic, o.partition).deleteRecordsBefore(o.offset);
  }

  async deleteTopics(names: readonly string[]): Promise<void> {
    for (const name of names) if (this.manager.hasTopic(name)) await this.manager.deleteTopic(name);
  }

  consumer(options?: ConsumerOptions): LogConsumer {
    return new EmbeddedConsumer(this.manager, options);
  }

  async committedOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<number[]> {
    return this.services.offsets.committedOffsets(groupId, partitions);
  }

  commitOffsets(groupId: string, offsets: readonly PartitionOffset[]): Promise<void> {
    return this.services.offsets.commit(groupId, offsets);
  }

  async producer(options: ProducerOptions = {}): Promise<LogProducer> {
    const { offsets, coordinator } = this.services;
    if (options.transactionalId === undefined) {
      return new EmbeddedProducer(this.manager, offsets, null, undefined, -1, -1, options.batchBytes);
    }
    const { producerId, producerEpoch } = await retryConcurrent(() =>
      coordinator.initProducerId(options.transactionalId!, options.transactionTimeoutMs ?? 60_000),
    );
    return new EmbeddedProducer(this.manager, offsets, coordinator, options.transactionalId, producerId, producerEpoch, options.batchBytes);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.release();
  }
}
