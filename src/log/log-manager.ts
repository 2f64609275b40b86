import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-file.js';
import { checkpointKey, readOffsetCheckpoint, writeOffsetCheckpoint, writeOffsetCheckpointSync, type OffsetCheckpoint } from './checkpoint-file.js';
import { acquireDataDirLock } from './data-dir-lock.js';
import { InvalidConfigError, InvalidPartitionsError, StorageError, TopicAlreadyExistsError, UnknownTopicOrPartitionError } from './errors.js';
import { DELETE_DIR_SUFFIX, parsePartitionDirName, partitionDirName } from './file-names.js';
import { errnoOf, fsyncDir, fsyncDirSync, toStorageError } from './io.js';
import { stderrLogger, type LogLogger } from './logger.js';
import { PartitionLog, type FsyncPolicy, type PartitionDescription } from './partition-log.js';
import { validateTopicName } from './topic-name.js';
import { TransactionCoordinator, type TransactionCoordinatorOptions } from './transactions/coordinator.js';
import {
  DEFAULT_TOPIC_CONFIG,
  compacts,
  deletes,
  parseTopicConfig,
  resolveTopicConfig,
  type TopicConfig,
  type TopicConfigInput,
} from './topic-config.js';

export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
export const CLEAN_SHUTDOWN_FILE = '.clean-shutdown';
export const TOPICS_DIR = 'topics';
/** Kafka's ceiling on partitions per topic is far higher; this keeps one typo from making 10^9 directories. */
export const MAX_PARTITIONS = 100_000;

export interface LogManagerOptions {
  dataDir: string;
  /**
   * 'always': an append resolves after an fdatasync covering it (group commit); nothing
   * acknowledged is lost on a crash or power cut. 'interval' (default): appends resolve once written
   * to the file; fdatasync every `fsyncIntervalMs`. 'never': only on segment roll and close.
   */
  fsync?: FsyncPolicy;
  fsyncIntervalMs?: number;
  /** How often retention runs (Kafka's log.retention.check.interval.ms); 0 disables. Default 5 min. */
  retentionCheckIntervalMs?: number;
  /** How often the cleaner looks for compactable partitions; 0 disables. Default 15 s. */
  cleanerIntervalMs?: number;
  /** How often recovery points are checkpointed; default 60 s. */
  checkpointIntervalMs?: number;
  /** Defaults for topics, overriding Kafka's (as broker-level log.* settings do). */
  defaultTopicConfig?: TopicConfigInput;
  logger?: LogLogger;
  /** Wall clock, replaceable so tests can age segments. */
  clock?: () => number;
  /** Kafka's producer.id.expiration.ms: a producer idle this long (no open transaction) is forgotten by a partition. Default 1 day. */
  producerIdExpirationMs?: number;
  /** Kafka's producer.id.expiration.check.interval.ms; 0 disables. Default 10 min. */
  producerIdExpirationCheckIntervalMs?: number;
}

export interface CreateTopicOptions {
  /** Default 1. */
  partitions?: number;
  config?: TopicConfigInput;
}

export interface TopicDescription {
  name: string;
  topicId: string;
  /** Effective config: overrides resolved against the defaults. */
  config: TopicConfig;
  /** Only what was set for this topic. */
  overrides: Partial<TopicConfig>;
  partitions: PartitionDescription[];
}

interface TopicMetadata {
  version: 1;
  name: string;
  topicId: string;
  partitions: number;
  config: Partial<TopicConfig>;
  createdAt: number;
}

interface Topic {
  meta: TopicMetadata;
  config: TopicConfig;
  partitions: PartitionLog[];
}

/**
 * The embedded log: topics of partitions under one data directory, laid out as Kafka lays them out.
 * Admin operations (create, delete, add partitions) run one at a time; each has one commit point on
 * disk (the topic's metadata file, written atomically), and open() removes whatever a crash left
 * half done on either side of it.
 */
export class LogManager {
  readonly dataDir: string;
  readonly fsync: FsyncPolicy;
  private readonly logger: LogLogger;
  private readonly clock: () => number;
  private readonly defaults: TopicConfig;
  private readonly topics = new Map<string, Topic>();
  private readonly timers: NodeJS.Timeout[] = [];
  private adminChain: Promise<unknown> = Promise.resolve();
  private checkpointChain: Promise<unknown> = Promise.resolve();
  private releaseLock: (() => void) | null;
  private closed = false;
  private readonly busy = { flush: false, retention: false, cleaner: false, checkpoint: false, producers: false };
  private readonly producerIdExpirationMs: number | undefined;
  private coordinator: Promise<TransactionCoordinator> | null = null;

  private constructor(options: LogManagerOptions, defaults: TopicConfig, releaseLock: () => void) {
    this.dataDir = options.dataDir;
    this.fsync = options.fsync ?? 'interval';
    this.logger = options.logger ?? stderrLogger;
    this.clock = options.clock ?? Date.now;
    this.defaults = defaults;
    this.releaseLock = releaseLock;
    this.producerIdExpirationMs = options.producerIdExpirationMs;
  }

  static async open(options: LogManagerOptions): Promise<LogManager> {
    const fsync = options.fsync ?? 'interval';
    if (fsync !== 'always' && fsync !== 'interval' && fsync !== 'never') {
      throw new InvalidConfigError(`fsync must be 'always', 'interval' or 'never', got ${String(fsync)}`);
    }
    const defaults = resolveTopicConfig(parseTopicConfig(options.defaultTopicConfig), DEFAULT_TOPIC_CONFIG);
    const dataDir = options.dataDir;
    try {
      mkdirSync(join(dataDir, TOPICS_DIR), { recursive: true });
    } catch (e) {
      throw toStorageError(`cannot create data directory ${dataDir}`, e);
    }
    const release = acquireDataDirLock(dataDir);
    const manager = new LogManager(options, defaults, release);
    try {
      manager.load();
    } catch (e) {
      for (const t of manager.topics.values()) for (const p of t.partitions) await p.close().catch(() => {});
      release();
      throw toStorageError(`cannot open the log in ${dataDir}`, e);
    }
    // Make what recovery rewrote durable, so the recovery points can move to the log ends.
    await manager.flush();
    await manager.checkpoint();
    manager.startTimers(options);
    return manager;
  }

  private load(): void {
    const marker = join(this.dataDir, CLEAN_SHUTDOWN_FILE);
    const cleanShutdown = existsSync(marker);
    if (cleanShutdown) {
      // From here on a crash is an unclean shutdown; the removal must be durable before any write.
      rmSync(marker);
      fsyncDirSync(this.dataDir);
    }
    const checkpoint = readOffsetCheckpoint(join(this.dataDir, RECOVERY_POINT_CHECKPOINT));
    if (checkpoint.problem !== undefined) this.logger.warn(`ignoring ${RECOVERY_POINT_CHECKPOINT}: ${checkpoint.problem}`);

    const topicsDir = join(this.dataDir, TOPICS_DIR);
    const metas: TopicMetadata[] = [];
    for (const file of readdirSync(topicsDir)) {
      const path = join(topicsDir, file);
      if (file.endsWith('.tmp')) {
        rmSync(path, { force: true });
        continue;
      }
      if (!file.endsWith('.json')) continue;
      metas.push(readTopicMetadata(path));
    }
    const byName = new Map(metas.map((m) => [m.name, m]));

    // Partition directories the metadata does not own are leftovers of a create, delete or
    // add-partitions that crashed before (or after) its commit point.
    for (const entry of readdirSync(this.dataDir)) {
      const path = join(this.dataDir, entry);
      if (entry.endsWith(DELETE_DIR_SUFFIX)) {
        rmSync(path, { recursive: true, force: true });
        continue;
      }
      const parsed = parsePartitionDirName(entry);
      if (parsed === null || !statSync(path).isDirectory()) continue;
      const meta = byName.get(parsed.topic);
      if (meta === undefined || parsed.partition >= meta.partitions) {
        this.logger.warn(`removing ${path}: no topic owns it (left by an interrupted create or delete)`);
        rmSync(path, { recursive: true, force: true });
      }
    }

    for (const meta of metas) {
      const config = resolveTopicConfig(meta.config, this.defaults);
      const topic: Topic = { meta, config, partitions: [] };
      this.topics.set(meta.name, topic);
      for (let p = 0; p < meta.partitions; p++) {
        const dir = join(this.dataDir, partitionDirName(meta.name, p));
        const common = {
          topic: meta.name,
          partition: p,
          dir,
          config,
          fsync: this.fsync,
          logger: this.logger,
          clock: this.clock,
          ...(this.producerIdExpirationMs !== undefined ? { producerIdExpirationMs: this.producerIdExpirationMs } : {}),
        };
        if (!existsSync(dir)) {
          this.logger.warn(`${meta.name}-${p}: partition directory is missing; starting it empty`);
          topic.partitions.push(PartitionLog.create(common));
          continue;
        }
        topic.partitions.push(
          PartitionLog.open({ ...common, recoveryPoint: checkpoint.entries.get(checkpointKey(meta.name, p)), cleanShutdown }),
        );
      }
    }
  }

  private startTimers(options: LogManagerOptions): void {
    const every = (ms: number, job: keyof LogManager['busy'], run: () => Promise<unknown>): void => {
      if (!(ms > 0)) return;
      const timer = setInterval(() => {
        if (this.busy[job] || this.closed) return;
        this.busy[job] = true;
        run()
          .catch((e: unknown) => this.logger.warn(`background ${job} failed: ${e instanceof Error ? e.message : String(e)}`))
          .finally(() => {
            this.busy[job] = false;
          });
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    if (this.fsync !== 'never') every(options.fsyncIntervalMs ?? 1000, 'flush', () => this.flush());
    every(options.checkpointIntervalMs ?? 60_000, 'checkpoint', () => this.checkpoint());
    every(options.retentionCheckIntervalMs ?? 300_000, 'retention', () => this.runRetention());
    every(options.cleanerIntervalMs ?? 15_000, 'cleaner', () => this.runCleaner());
    every(options.producerIdExpirationCheckIntervalMs ?? 600_000, 'producers', async () => {
      for (const p of this.allPartitions()) p.removeExpiredProducers();
    });
  }

  // -------------------------------------------------------------------------------------------
  // topics

  private admin<T>(task: () => Promise<T>): Promise<T> {
    const next = this.adminChain.then(task, task);
    this.adminChain = next.catch(() => {});
    return next;
  }

  private checkOpen(): void {
    if (this.closed) throw new StorageError(`the log in ${this.dataDir} is closed`);
  }

  private metadataPath(name: string): string {
    return join(this.dataDir, TOPICS_DIR, `${name}.json`);
  }

  private partitionOptions(topic: string, partition: number, config: TopicConfig) {
    return {
      topic,
      partition,
      dir: join(this.dataDir, partitionDirName(topic, partition)),
      config,
      fsync: this.fsync,
      logger: this.logger,
      clock: this.clock,
      ...(this.producerIdExpirationMs !== undefined ? { producerIdExpirationMs: this.producerIdExpirationMs } : {}),
    };
  }

  /**
   * Creates a topic: validates name, partition count and config (typed errors), creates the
   * partition directories, then writes the metadata file - the commit point.
   */
  createTopic(name: string, options: CreateTopicOptions = {}): Promise<TopicDescription> {
    return this.admin(async () => {
      this.checkOpen();
      validateTopicName(name);
      const partitions = options.partitions ?? 1;
      checkPartitionCount(partitions);
      const overrides = parseTopicConfig(options.config);
      const config = resolveTopicConfig(overrides, this.defaults);
      if (this.topics.has(name)) throw new TopicAlreadyExistsError(`topic ${name} already exists`);
      const meta: TopicMetadata = { version: 1, name, topicId: randomUUID(), partitions, config: overrides, createdAt: this.clock() };
      const logs: PartitionLog[] = [];
      try {
        for (let p = 0; p < partitions; p++) {
          const opts = this.partitionOptions(name, p, config);
          rmSync(opts.dir, { recursive: true, force: true });
          logs.push(PartitionLog.create(opts));
        }
        await fsyncDir(this.dataDir);
        await writeFileAtomic(this.metadataPath(name), JSON.stringify(meta, null, 2) + '\n');
      } catch (e) {
        await Promise.all(logs.map((l) => l.close().catch(() => {})));
        for (let p = 0; p < partitions; p++) rmSync(join(this.dataDir, partitionDirName(name, p)), { recursive: true, force: true });
        throw toStorageError(`cannot create topic ${name}`, e);
      }
      this.topics.set(name, { meta, config, partitions: logs });
      await this.checkpointAfterAdmin();
      return this.describeTopic(name);
    });
  }

  /** Grows a topic to `total` partitions (never shrinks, as in Kafka). */
  createPartitions(name: string, total: number): Promise<TopicDescription> {
    return this.admin(async () => {
      this.checkOpen();
      const topic = this.topicOrThrow(name);
      checkPartitionCount(total);
      const current = topic.partitions.length;
      if (total <= current) throw new InvalidPartitionsError(`topic ${name} has ${current} partitions; the new count ${total} must be larger`);
      const added: PartitionLog[] = [];
      const meta: TopicMetadata = { ...topic.meta, partitions: total };
      try {
        for (let p = current; p < total; p++) {
          const opts = this.partitionOptions(name, p, topic.config);
          rmSync(opts.dir, { recursive: true, force: true });
          added.push(PartitionLog.create(opts));
        }
        await fsyncDir(this.dataDir);
        await writeFileAtomic(this.metadataPath(name), JSON.stringify(meta, null, 2) + '\n');
      } catch (e) {
        await Promise.all(added.map((l) => l.close().catch(() => {})));
        for (let p = current; p < total; p++) rmSync(join(this.dataDir, partitionDirName(name, p)), { recursive: true, force: true });
        throw toStorageError(`cannot add partitions to ${name}`, e);
      }
      topic.meta = meta;
      topic.partitions.push(...added);
      await this.checkpointAfterAdmin();
      return this.describeTopic(name);
    });
  }

  /**
   * Deletes a topic: its partitions close (long polls return), the metadata file goes (the commit
   * point), then the directories are renamed aside and removed.
   */
  deleteTopic(name: string): Promise<void> {
    return this.admin(async () => {
      this.checkOpen();
      const topic = this.topicOrThrow(name);
      this.topics.delete(name);
      await Promise.all(topic.partitions.map((p) => p.close()));
      try {
        rmSync(this.metadataPath(name), { force: true });
        await fsyncDir(join(this.dataDir, TOPICS_DIR));
        const doomed: string[] = [];
        for (const p of topic.partitions) {
          const aside = `${p.dir}.${randomUUID().replaceAll('-', '')}${DELETE_DIR_SUFFIX}`;
          renameSync(p.dir, aside);
          doomed.push(aside);
        }
        await Promise.all(doomed.map((d) => rm(d, { recursive: true, force: true })));
      } catch (e) {
        throw toStorageError(`cannot delete topic ${name}`, e);
      }
      await this.checkpointAfterAdmin();
    });
  }

  listTopics(): string[] {
    return [...this.topics.keys()].sort();
  }

  hasTopic(name: string): boolean {
    return this.topics.has(name);
  }

  describeTopic(name: string): TopicDescription {
    const topic = this.topicOrThrow(name);
    return {
      name,
      topicId: topic.meta.topicId,
      config: { ...topic.config },
      overrides: { ...topic.meta.config },
      partitions: topic.partitions.map((p) => p.describe()),
    };
  }

  /** The partition's log; UnknownTopicOrPartitionError for an unknown topic or a partition out of range. */
  partition(topic: string, partition: number): PartitionLog {
    const t = this.topicOrThrow(topic);
    const log = Number.isInteger(partition) ? t.partitions[partition] : undefined;
    if (log === undefined) {
      throw new UnknownTopicOrPartitionError(`topic ${topic} has no partition ${partition} (it has ${t.partitions.length})`);
    }
    return log;
  }

  /** Partitions of a topic; 0 when there is no such topic. */
  partitionCount(topic: string): number {
    return this.topics.get(topic)?.partitions.length ?? 0;
  }

  /**
   * The transaction coordinator of this log (one per LogManager, opened on first call: creates and
   * replays `__transaction_state`, completes interrupted commits). `options` apply to the first
   * call only. Closed with the log.
   */
  transactionCoordinator(options: TransactionCoordinatorOptions = {}): Promise<TransactionCoordinator> {
    this.checkOpen();
    if (this.coordinator === null) {
      const opening = TransactionCoordinator.open(this, { logger: this.logger, clock: this.clock, ...options });
      this.coordinator = opening;
      opening.catch(() => {
        if (this.coordinator === opening) this.coordinator = null;
      });
    }
    return this.coordinator;
  }

  private topicOrThrow(name: string): Topic {
    const topic = this.topics.get(name);
    if (topic === undefined) throw new UnknownTopicOrPartitionError(`unknown topic ${String(name)}`);
    return topic;
  }

  private allPartitions(): PartitionLog[] {
    const all: PartitionLog[] = [];
    for (const t of this.topics.values()) all.push(...t.partitions);
    return all;
  }

  // -------------------------------------------------------------------------------------------
  // background work, callable directly (tests, admin tools)

  /** fdatasyncs every partition with unsynced writes. */
  async flush(): Promise<void> {
    await Promise.all(
      this.allPartitions()
        .filter((p) => p.hasUnflushedWrites && !p.isOffline)
        .map((p) => p.flush().catch((e: unknown) => this.logger.warn(`flush of ${p.topic}-${p.partition} failed: ${String(e)}`))),
    );
  }

  /** Writes every partition's recovery point to the checkpoint file (one write at a time: they share a temp file). */
  checkpoint(): Promise<void> {
    const write = async (): Promise<void> => {
      if (this.closed) return;
      await writeOffsetCheckpoint(join(this.dataDir, RECOVERY_POINT_CHECKPOINT), this.recoveryPoints());
    };
    const next = this.checkpointChain.then(write, write);
    this.checkpointChain = next.catch(() => {});
    return next;
  }

  /**
   * A recreated topic must not inherit the recovery points its namesake left in the checkpoint file:
   * they would mark its unsynced segments as trusted after a crash.
   */
  private async checkpointAfterAdmin(): Promise<void> {
    try {
      await this.checkpoint();
    } catch (e) {
      this.logger.warn(`cannot write ${RECOVERY_POINT_CHECKPOINT}: ${errnoOf(e) ?? String(e)}`);
    }
  }

  private recoveryPoints(): OffsetCheckpoint {
    const entries: OffsetCheckpoint = new Map();
    for (const p of this.allPartitions()) entries.set(checkpointKey(p.topic, p.partition), p.recoveryPoint);
    return entries;
  }

  /** Runs retention on every partition whose cleanup.policy includes delete; returns segments deleted. */
  async runRetention(): Promise<number> {
    let total = 0;
    for (const t of [...this.topics.values()]) {
      if (!deletes(t.config)) continue;
      for (const p of t.partitions) total += await p.deleteOldSegments();
    }
    return total;
  }

  /** Runs the cleaner on every compacted partition; `force` ignores min.cleanable.dirty.ratio. */
  async runCleaner(options: { force?: boolean } = {}): Promise<number> {
    let cleaned = 0;
    for (const t of [...this.topics.values()]) {
      if (!compacts(t.config)) continue;
      for (const p of t.partitions) if ((await p.clean(options)) !== null) cleaned++;
    }
    return cleaned;
  }

  /**
   * Closes every partition (their data fdatasynced), writes the recovery points and the clean
   * shutdown marker, and releases the data directory.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.coordinator !== null) {
      const c = await this.coordinator.catch(() => null);
      c?.close();
    }
    await this.adminChain;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    const partitions = this.allPartitions();
    await Promise.all(partitions.map((p) => p.close()));
    await this.checkpointChain;
    try {
      writeOffsetCheckpointSync(join(this.dataDir, RECOVERY_POINT_CHECKPOINT), this.recoveryPoints());
      if (!partitions.some((p) => p.isOffline)) writeFileAtomicSync(join(this.dataDir, CLEAN_SHUTDOWN_FILE), '');
    } catch (e) {
      this.logger.warn(`cannot write the shutdown checkpoint: ${errnoOf(e) ?? String(e)}`);
    } finally {
      this.topics.clear();
      this.releaseLock?.();
      this.releaseLock = null;
    }
  }
}

function checkPartitionCount(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_PARTITIONS) {
    throw new InvalidPartitionsError(`partition count must be an integer in [1, ${MAX_PARTITIONS}], got ${String(n)}`);
  }
}

function readTopicMetadata(path: string): TopicMetadata {
  let meta: unknown;
  try {
    meta = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    // Refuse to start rather than treat the topic's directories as leftovers and delete them.
    throw new StorageError(`topic metadata ${path} is unreadable: ${String(e)}`, { cause: e });
  }
  const m = meta as Partial<TopicMetadata> | null;
  if (
    m === null ||
    typeof m !== 'object' ||
    typeof m.name !== 'string' ||
    typeof m.topicId !== 'string' ||
    !Number.isInteger(m.partitions) ||
    typeof m.config !== 'object' ||
    m.config === null
  ) {
    throw new StorageError(`topic metadata ${path} is malformed`);
  }
  validateTopicName(m.name);
  return {
    version: 1,
    name: m.name,
    topicId: m.topicId,
    partitions: m.partitions as number,
    config: parseTopicConfig(m.config),
    createdAt: typeof m.createdAt === 'number' ? m.createdAt : 0,
  };
}
