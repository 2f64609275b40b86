/**
 * The storage engine: Kafka's log, embedded and in-process. Topics -> partitions -> segment files
 * of RecordBatch v2 bytes with sparse offset and time indexes; fsync policy with group commit;
 * recovery; retention; compaction; producer state (idempotence, transactions, last stable offset,
 * aborted-transaction indexes, snapshots) and the transaction coordinator (docs/log-transactions.md).
 * Imports only src/records.
 */
export { LogManager, type CreateTopicOptions, type LogManagerOptions, type TopicDescription } from './log-manager.js';
export {
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  PartitionLog,
  type AppendOptions,
  type AppendResult,
  type FsyncPolicy,
  type IsolationLevel,
  type PartitionDescription,
  type ProducerStateDescription,
  type ReadOptions,
  type ReadResult,
  type TxnMarker,
} from './partition-log.js';
export type { AbortedTransaction, AbortedTxn } from './txn-index.js';
export {
  ConsumerOffsetsTopic,
  OFFSETS_TOPIC_CONFIG,
  decodeGroupValue,
  decodeKey,
  decodeOffsetValue,
  groupKey,
  groupPartition,
  groupValue,
  javaStringHash,
  offsetKey,
  offsetValue,
  type CommittedOffset,
  type ConsumerOffsetsTopicOptions,
  type LoadedOffsets,
  type OffsetsTopicKey,
  type OffsetsTopicRecord,
  type PendingOffset,
  type StoredGroup,
  type StoredMember,
} from './consumer-offsets.js';
export { forEachCommittedRecord, type CommittedReadInput, type CommittedRecordsOptions } from './committed-records.js';
export { DEFAULT_PRODUCER_ID_EXPIRATION_MS, PRODUCER_BATCH_HISTORY, type AppendOrigin } from './producer-state.js';
export * from './transactions/index.js';
export type { SegmentDescription, TimestampAndOffset } from './segment.js';
export type { CleanStats } from './cleaner.js';
export {
  CONFIG_NAMES,
  DEFAULT_TOPIC_CONFIG,
  compacts,
  deletes,
  parseTopicConfig,
  resolveTopicConfig,
  type CleanupPolicy,
  type ConfigName,
  type MessageTimestampType,
  type TopicConfig,
  type TopicConfigInput,
} from './topic-config.js';
export { MAX_TOPIC_NAME_LENGTH, validateTopicName } from './topic-name.js';
export { silentLogger, stderrLogger, type LogLogger } from './logger.js';
export {
  CorruptRecordError,
  InvalidConfigError,
  InvalidPartitionsError,
  InvalidRecordError,
  InvalidTopicError,
  MessageTooLargeError,
  OffsetOutOfRangeError,
  RecordListTooLargeError,
  StorageError,
  TopicAlreadyExistsError,
  TransactionError,
  UnknownTopicOrPartitionError,
  type TransactionErrorCode,
} from './errors.js';
