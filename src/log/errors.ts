import { TributaryError } from '../records/errors.js';

/**
 * The log's typed errors. Each carries the Kafka error name as `code`, so the broker can answer a
 * client with the error it already knows and the engine can match on `code` without instanceof.
 */

/**
 * The disk failed us: ENOSPC, EFBIG, EIO, EROFS, EPERM, a closed or offline partition.
 * `errno` is the system error code when one caused it, so callers can tell "disk full" (retry later)
 * from "device error" (the partition went offline).
 */
export class StorageError extends TributaryError {
  readonly errno: string | undefined;
  constructor(message: string, options?: { cause?: unknown; errno?: string }) {
    super('KAFKA_STORAGE_ERROR', message, options);
    this.errno = options?.errno;
  }
}

export class OffsetOutOfRangeError extends TributaryError {
  constructor(message: string) {
    super('OFFSET_OUT_OF_RANGE', message);
  }
}

export class UnknownTopicOrPartitionError extends TributaryError {
  constructor(message: string) {
    super('UNKNOWN_TOPIC_OR_PARTITION', message);
  }
}

export class TopicAlreadyExistsError extends TributaryError {
  constructor(message: string) {
    super('TOPIC_ALREADY_EXISTS', message);
  }
}

export class InvalidTopicError extends TributaryError {
  constructor(message: string) {
    super('INVALID_TOPIC_EXCEPTION', message);
  }
}

export class InvalidPartitionsError extends TributaryError {
  constructor(message: string) {
    super('INVALID_PARTITIONS', message);
  }
}

export class InvalidConfigError extends TributaryError {
  constructor(message: string) {
    super('INVALID_CONFIG', message);
  }
}

/** One batch is larger than the topic's max.message.bytes. */
export class MessageTooLargeError extends TributaryError {
  constructor(message: string) {
    super('MESSAGE_TOO_LARGE', message);
  }
}

/** One append is larger than a whole segment may be (segment.bytes). */
export class RecordListTooLargeError extends TributaryError {
  constructor(message: string) {
    super('RECORD_LIST_TOO_LARGE', message);
  }
}

/** A well-formed batch the log refuses, e.g. a record without a key in a compacted topic. */
export class InvalidRecordError extends TributaryError {
  constructor(message: string) {
    super('INVALID_RECORD', message);
  }
}

export { CorruptRecordError } from '../records/errors.js';

/**
 * Producer-state and transaction errors, with Kafka's names: raised by a partition's append (epoch,
 * sequence and transaction checks) and by the transaction coordinator. The broker answers with the
 * matching Kafka code; in-process callers match on `code`.
 */
export type TransactionErrorCode =
  | 'INVALID_PRODUCER_EPOCH'
  | 'PRODUCER_FENCED'
  | 'OUT_OF_ORDER_SEQUENCE_NUMBER'
  | 'DUPLICATE_SEQUENCE_NUMBER'
  | 'INVALID_TXN_STATE'
  | 'INVALID_PRODUCER_ID_MAPPING'
  | 'TRANSACTION_COORDINATOR_FENCED'
  | 'CONCURRENT_TRANSACTIONS'
  | 'INVALID_TRANSACTION_TIMEOUT'
  | 'TRANSACTIONAL_ID_NOT_FOUND'
  | 'COORDINATOR_NOT_AVAILABLE'
  | 'INVALID_REQUEST';

export class TransactionError extends TributaryError {
  declare readonly code: TransactionErrorCode;
  constructor(code: TransactionErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
