/**
 * Every error Tributary raises on purpose carries a `code` spelled as Kafka's error name
 * (CORRUPT_MESSAGE, OFFSET_OUT_OF_RANGE, ...). The broker turns the name into the numeric
 * Kafka error code with the generated error table, so a client in any language sees the
 * error it already knows; the CLI prints `code: message` on one line.
 *
 * This file lives in the lowest layer so that every layer above can throw and match these.
 */
export type ErrorCode =
  | 'UNKNOWN_SERVER_ERROR'
  | 'CORRUPT_MESSAGE'
  | 'UNSUPPORTED_COMPRESSION_TYPE'
  | 'INVALID_RECORD'
  | 'MESSAGE_TOO_LARGE'
  | 'RECORD_LIST_TOO_LARGE'
  | 'OFFSET_OUT_OF_RANGE'
  | 'UNKNOWN_TOPIC_OR_PARTITION'
  | 'TOPIC_ALREADY_EXISTS'
  | 'INVALID_TOPIC_EXCEPTION'
  | 'INVALID_PARTITIONS'
  | 'INVALID_CONFIG'
  | 'INVALID_REQUEST'
  | 'INVALID_TIMESTAMP'
  | 'KAFKA_STORAGE_ERROR'
  | 'NOT_ENOUGH_REPLICAS'
  | 'OUT_OF_ORDER_SEQUENCE_NUMBER'
  | 'DUPLICATE_SEQUENCE_NUMBER'
  | 'INVALID_PRODUCER_EPOCH'
  | 'PRODUCER_FENCED'
  | 'INVALID_TXN_STATE'
  | 'INVALID_PRODUCER_ID_MAPPING'
  | 'TRANSACTION_COORDINATOR_FENCED'
  | 'UNKNOWN_PRODUCER_ID'
  | 'CONCURRENT_TRANSACTIONS'
  | 'INVALID_TRANSACTION_TIMEOUT'
  | 'TRANSACTIONAL_ID_NOT_FOUND'
  | 'COORDINATOR_NOT_AVAILABLE'
  | 'UNSUPPORTED_VERSION'
  | 'SASL_AUTHENTICATION_FAILED'
  | 'UNSUPPORTED_SASL_MECHANISM'
  | 'SECURITY_DISABLED'
  | 'RESOURCE_NOT_FOUND'
  // A broker's answers to the Kafka connector (src/connectors/kafka):
  | 'NOT_LEADER_OR_FOLLOWER'
  | 'LEADER_NOT_AVAILABLE'
  | 'NOT_COORDINATOR'
  | 'COORDINATOR_LOAD_IN_PROGRESS'
  | 'REQUEST_TIMED_OUT'
  | 'NETWORK_EXCEPTION'
  | 'ILLEGAL_GENERATION'
  | 'UNKNOWN_MEMBER_ID'
  | 'REBALANCE_IN_PROGRESS'
  | 'FENCED_INSTANCE_ID'
  | 'UNSTABLE_OFFSET_COMMIT';

export class TributaryError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A batch or record whose bytes are not what they claim (bad CRC, bad length, bad magic). */
export class CorruptRecordError extends TributaryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CORRUPT_MESSAGE', message, options);
  }
}

/** A compression codec id this build does not know. */
export class UnsupportedCompressionError extends TributaryError {
  constructor(message: string) {
    super('UNSUPPORTED_COMPRESSION_TYPE', message);
  }
}

export function isTributaryError(e: unknown): e is TributaryError {
  return e instanceof TributaryError;
}
