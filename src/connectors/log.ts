import type { RecordHeader } from '../records/record.js';
import { TributaryError } from '../records/errors.js';

/**
 * The log as the engine sees it: topics of partitions of RecordBatch v2, consumed by offset,
 * written by one transactional producer per process, with committed offsets per consumer group.
 * Two implementations: `embedded({ dataDir })` (the in-process LogManager, src/connectors/embedded)
 * and `kafka({ brokers })` (a real cluster; a later issue). Everything here is batch-oriented: the
 * runtime fetches whole RecordBatch bytes per partition and decodes them in one place
 * (src/engine/runtime/decode.ts); the producer takes the task's output records and encodes them
 * into one batch per partition and flush.
 *
 * The contract, in Kafka Streams' terms (what every implementation guarantees):
 *
 * - **Admin.** `describeTopics` tells which topics exist and their partition counts;
 *   `createTopics` creates the missing ones with the given partition count and configs (Kafka's
 *   names: `cleanup.policy`, `retention.ms`, `segment.bytes`, ...) and leaves existing ones alone
 *   (the caller checks their partition counts against what it needs). Creation is durable when
 *   the promise resolves.
 * - **Reading.** A `LogConsumer` reads an explicit assignment of partitions from explicit offsets
 *   (no group membership here: the runtime assigns; a later issue adds a group-managed consumer
 *   that hands the runtime assignments). `fetch` returns, per partition, whole batches starting
 *   with the one holding the partition's position, at most up to the last stable offset under
 *   `read_committed` (never a record of an open or aborted transaction once filtered with
 *   `abortedTransactions`, see `forEachCommittedRecord`), and advances the position past them.
 *   When nothing is available it waits up to `maxWaitMs` for new data without a polling loop (the
 *   embedded log parks on PartitionLog.waitForData; Kafka uses the Fetch request's max wait), and
 *   `wakeup()` ends such a wait at once.
 * - **Offsets.** `committedOffsets(group, partitions)` returns the group's committed positions
 *   (the next offset to read), −1 where none was committed; only offsets of committed
 *   transactions are ever visible. `commitOffsets` (non-transactional, at-least-once) resolves
 *   once the offsets are durable.
 * - **Writing.** `producer({ transactionalId })` registers the transactional id with the
 *   transaction coordinator (Kafka's InitProducerId): it gets a producer id and a new epoch, which
 *   fences every older producer with the same transactional id (their later writes, offset commits
 *   and commits fail with ProducerFencedError) and completes or aborts the transaction such a
 *   zombie left open, so that read_committed readers are never stuck behind it. Within a
 *   transaction, `send` buffers records (the producer may append them early, still invisible to
 *   read_committed readers, to bound memory), `sendOffsetsToTransaction` adds the input offsets,
 *   and `commitTransaction` makes all of it visible atomically: outputs, changelog records and
 *   input offsets are all committed or none is (Kafka's EOS-v2: one producer for all tasks of the
 *   process). `abortTransaction` discards everything since the last commit. A producer without a
 *   transactional id is idempotent-free and plain: `flush` resolves once what was sent is durable
 *   under the log's fsync policy.
 * - **Errors** are typed TributaryErrors with Kafka's names; ProducerFencedError (PRODUCER_FENCED)
 *   is final for the producer: the caller must close it and stop (its tasks belong to someone else).
 */
export interface Log {
  /** 'embedded' or 'kafka', for messages and metrics. */
  readonly kind: string;
  /** Existing topics among `topics`, with their partition counts; absent ones are not in the map. */
  describeTopics(topics: readonly string[]): Promise<Map<string, TopicInfo>>;
  /** Creates the topics that do not exist yet; existing ones are left as they are. */
  createTopics(topics: readonly NewTopic[]): Promise<void>;
  /**
   * The end of each partition: the last stable offset for read_committed (where a read_committed
   * reader stops: before the first open transaction), else the high watermark.
   */
  endOffsets(partitions: readonly TopicPartition[], isolation?: Isolation): Promise<number[]>;
  /** The first offset still in each partition (retention or compaction may have removed earlier ones). */
  beginningOffsets(partitions: readonly TopicPartition[]): Promise<number[]>;
  consumer(options?: ConsumerOptions): LogConsumer;
  /** Committed offsets of the group (the next offset to read), −1 where none is committed. */
  committedOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<number[]>;
  /**
   * Commits offsets outside any transaction (at-least-once); resolves once durable. A member of a
   * managed group passes its generation (a stale one is refused).
   */
  commitOffsets(groupId: string, offsets: readonly PartitionOffset[], group?: ConsumerGroupMetadata): Promise<void>;
  /**
   * Scale-out: joins the consumer group `groupId` (logs with a group coordinator: Kafka and
   * `tributary broker`; absent on the embedded log, whose data directory one process owns).
   */
  joinGroup?(groupId: string, options: GroupOptions): Promise<GroupMembership>;
  /**
   * Kafka's DeleteRecords: records below each offset may be deleted (the log start offset moves
   * up to at most it). The runtime purges repartition topics with it after each commit, up to
   * what downstream tasks committed. Optional until every connector has it; the embedded log
   * deletes whole segments below the offset.
   */
  deleteRecords?(offsets: readonly PartitionOffset[]): Promise<void>;
  /** Kafka's DeleteTopics: the topics and their records go; a topic that does not exist is no error. */
  deleteTopics(names: readonly string[]): Promise<void>;
  /** A transactional producer (with `transactionalId`) or a plain one; see the contract above. */
  producer(options?: ProducerOptions): Promise<LogProducer>;
  /** Releases the connection (the embedded log: closes the LogManager when this was its last user). */
  close(): Promise<void>;
}

/** How a Log is made: `embedded({ dataDir })`, later `kafka({ brokers })`. Opened by the runtime at start. */
export interface LogConnector {
  readonly kind: string;
  connect(): Promise<Log>;
}

export type Isolation = 'read_committed' | 'read_uncommitted';

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface PartitionOffset extends TopicPartition {
  readonly offset: number;
}

export interface TopicInfo {
  readonly partitions: number;
  readonly config: Readonly<Record<string, string | number>>;
}

export interface NewTopic {
  readonly name: string;
  readonly partitions: number;
  /** Kafka's topic config names, e.g. { 'cleanup.policy': 'compact' }. */
  readonly config?: Readonly<Record<string, string | number>>;
}

/** An aborted transaction overlapping a fetch: producer id and the offset of its first record. */
export interface FetchedAbortedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
}

/** One partition's data from a fetch: whole batches, as stored and as Kafka's Fetch returns them. */
export interface FetchedPartition {
  readonly topic: string;
  readonly partition: number;
  /** Where this fetch started: records below it (in the first batch) are not to be processed. */
  readonly fetchOffset: number;
  /** Concatenated RecordBatch v2, possibly with control batches and (read_committed) aborted data. */
  readonly records: Buffer;
  /** read_committed: the aborted transactions overlapping `records`; null for read_uncommitted. */
  readonly abortedTransactions: readonly FetchedAbortedTxn[] | null;
  /** Where the next fetch of this partition starts (the consumer's new position). */
  readonly nextOffset: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
}

export interface ConsumerOptions {
  /** Default 'read_committed'. */
  readonly isolation?: Isolation;
  /** Soft limit per partition and fetch (the first batch is returned whole). Default 1 MiB. */
  readonly maxBytesPerPartition?: number;
  /** Soft limit per fetch over all partitions. Default 8 MiB. */
  readonly maxBytes?: number;
}

/** Reads an explicit assignment of partitions, each from its own position. */
export interface LogConsumer {
  /** Replaces the assignment; each partition starts at the given offset. */
  assign(partitions: readonly PartitionOffset[]): void;
  assignment(): TopicPartition[];
  seek(partition: TopicPartition, offset: number): void;
  /** The next offset this consumer will fetch. */
  position(partition: TopicPartition): number;
  /** Paused partitions are not fetched (backpressure, bounded runs) until resumed. */
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  /**
   * Data of the unpaused partitions from their positions (positions move past what is returned).
   * Waits up to `maxWaitMs` for data when there is none; resolves with [] on timeout or wakeup().
   */
  fetch(maxWaitMs: number): Promise<FetchedPartition[]>;
  /** Ends a waiting fetch now (it resolves with what it has, usually nothing). */
  wakeup(): void;
  close(): void;
}

/** A consumer group member's identity at the time of a commit (Kafka's ConsumerGroupMetadata). */
export interface ConsumerGroupMetadata {
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId?: string;
}

export interface GroupOptions {
  /** Task partitions to share out (0..partitions-1; the leader assigns them). */
  readonly partitions: number;
  /** Kafka's session.timeout.ms: a member silent this long is removed. Default 10 s. */
  readonly sessionTimeoutMs?: number;
  /** Kafka's max.poll.interval.ms for the rebalance: how long members get to rejoin. Default 60 s. */
  readonly rebalanceTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  /**
   * Kafka Streams' application.server: where this member answers interactive queries (its
   * dashboard's base URL). Sent in the member's JoinGroup metadata; the leader hands every member
   * the endpoint of each partition's owner with the assignment (GroupMembership.endpoints).
   */
  readonly endpoint?: string;
  /**
   * Kafka Streams' num.standby.replicas: the leader also gives each task partition to this many
   * other members as a standby (they keep its state warm from the changelogs). Default 0.
   */
  readonly numStandbyReplicas?: number;
  /**
   * Asked at every JoinGroup: the partitions this member holds local state for (standby tasks,
   * on-disk state of earlier owners) and how far it goes (the sum of the changelog offsets it
   * reflects). The leader moves partitions to the warmest member (see kafka/assignor.ts).
   */
  readonly localState?: () => ReadonlyMap<number, number>;
}

/**
 * This process's membership in a consumer group: the task partitions of the current generation;
 * `rebalanceNeeded` once the group moved on (a member joined or left, or this one was fenced out):
 * then the owner commits or aborts, and calls `rejoin()` for its new partitions.
 */
export interface GroupMembership {
  readonly generation: ConsumerGroupMetadata;
  readonly partitions: readonly number[];
  readonly rebalanceNeeded: boolean;
  /** The endpoint (GroupOptions.endpoint) of each partition's owner in this generation; partitions of members that announced none are absent. */
  readonly endpoints?: ReadonlyMap<number, string>;
  /** Partitions this member keeps standby state for in this generation (GroupOptions.numStandbyReplicas). */
  readonly standbyPartitions?: readonly number[];
  rejoin(): Promise<readonly number[]>;
  /** A commit was refused for a stale generation: rejoin before the next. */
  markLost(): void;
  leave(): Promise<void>;
}

/** A record to write; the partition is chosen by the caller (the engine's sinks do). */
export interface ProducerRecord {
  readonly topic: string;
  readonly partition: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
}

export interface ProducerOptions {
  /** Makes the producer transactional; one per process and application (`<applicationId>-<instance>`). */
  readonly transactionalId?: string;
  /** Kafka's transaction.timeout.ms: the coordinator aborts a transaction open longer. Default 60 s. */
  readonly transactionTimeoutMs?: number;
  /** Records buffered per partition before they are appended early (still in the transaction). Default 1 MiB. */
  readonly batchBytes?: number;
}

export interface LogProducer {
  readonly transactionalId: string | undefined;
  /** −1 for a plain producer. */
  readonly producerId: number;
  readonly producerEpoch: number;
  /** Bytes of records sent and not yet appended (for backpressure). */
  readonly bufferedBytes: number;
  /** Buffers a record. Transactional: opens a transaction if none is open. */
  send(record: ProducerRecord): void;
  /** Appends everything buffered; plain producers: resolves once it is durable (the fsync policy). */
  flush(): Promise<void>;
  /** Transactional: starts a transaction (send() does it implicitly). */
  beginTransaction(): void;
  /**
   * Transactional: the group's offsets, committed with (and only with) the transaction. With a
   * group-managed consumer (scale-out, later) `group` carries its generation and member id, so
   * that a member fenced out of the group cannot commit (Kafka's EOS-v2); the embedded log's
   * single-process runtime passes none.
   */
  sendOffsetsToTransaction(groupId: string, offsets: readonly PartitionOffset[], group?: ConsumerGroupMetadata): void;
  /** Transactional: flushes and commits atomically; ProducerFencedError if a newer epoch exists. */
  commitTransaction(): Promise<void>;
  /** Transactional: discards what was sent since the last commit. */
  abortTransaction(): Promise<void>;
  /** Whether a transaction is open (something sent or offsets added since the last commit/abort). */
  readonly inTransaction: boolean;
  close(): Promise<void>;
}

/**
 * A newer producer with the same transactional id has registered (a restarted or replacement
 * instance): this one is a zombie. Its open transaction was or will be aborted; it must stop.
 */
export class ProducerFencedError extends TributaryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PRODUCER_FENCED', message, options);
  }
}

export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
