import { TributaryError, type ErrorCode } from '../../records/errors.js';
import { KAFKA_ERRORS, kafkaErrorByCode } from '../../protocol/errors.js';

/**
 * An error code a Kafka broker answered with, as a TributaryError whose `code` is Kafka's name
 * when Tributary knows it (else UNKNOWN_SERVER_ERROR, with Kafka's name in `kafkaName`).
 * `retriable` is Kafka's own classification (the Java exception extends RetriableException).
 */
export class KafkaResponseError extends TributaryError {
  readonly kafkaName: string;
  readonly retriable: boolean;
  constructor(errorCode: number, context: string, serverMessage?: string | null) {
    const info = kafkaErrorByCode(errorCode);
    const name = info?.name ?? `error ${errorCode}`;
    super(
      (KNOWN.has(name) ? name : 'UNKNOWN_SERVER_ERROR') as ErrorCode,
      `${context}: ${name}${serverMessage ? ` (${serverMessage})` : info?.message ? ` (${info.message})` : ''}`,
    );
    this.kafkaName = name;
    this.retriable = info?.retriable ?? false;
  }
}

/** The connection to a broker failed or timed out (retriable: metadata is refreshed first). */
export class KafkaConnectionError extends TributaryError {
  readonly retriable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super('NETWORK_EXCEPTION', message, options);
  }
}

/**
 * A group member lost its membership (a rebalance moved on without it: ILLEGAL_GENERATION,
 * UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, REBALANCE_IN_PROGRESS on a commit): its tasks may belong
 * to another member now (Kafka Streams' TaskMigratedException). The runtime aborts the open
 * transaction and rejoins; nothing it processed since the last commit becomes visible.
 */
export class GroupMembershipLostError extends TributaryError {
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

const KNOWN = new Set<string>([
  'CORRUPT_MESSAGE',
  'UNSUPPORTED_COMPRESSION_TYPE',
  'INVALID_RECORD',
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'OFFSET_OUT_OF_RANGE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'TOPIC_ALREADY_EXISTS',
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_PARTITIONS',
  'INVALID_CONFIG',
  'INVALID_REQUEST',
  'INVALID_TIMESTAMP',
  'KAFKA_STORAGE_ERROR',
  'NOT_ENOUGH_REPLICAS',
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'DUPLICATE_SEQUENCE_NUMBER',
  'INVALID_PRODUCER_EPOCH',
  'PRODUCER_FENCED',
  'INVALID_TXN_STATE',
  'INVALID_PRODUCER_ID_MAPPING',
  'TRANSACTION_COORDINATOR_FENCED',
  'UNKNOWN_PRODUCER_ID',
  'CONCURRENT_TRANSACTIONS',
  'INVALID_TRANSACTION_TIMEOUT',
  'TRANSACTIONAL_ID_NOT_FOUND',
  'COORDINATOR_NOT_AVAILABLE',
  'UNSUPPORTED_VERSION',
  'SASL_AUTHENTICATION_FAILED',
  'UNSUPPORTED_SASL_MECHANISM',
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'NOT_COORDINATOR',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'REQUEST_TIMED_OUT',
  'NETWORK_EXCEPTION',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'REBALANCE_IN_PROGRESS',
  'FENCED_INSTANCE_ID',
  'UNSTABLE_OFFSET_COMMIT',
]);

export const CODES = {
  NONE: 0,
  OFFSET_OUT_OF_RANGE: KAFKA_ERRORS.OFFSET_OUT_OF_RANGE.code,
  TOPIC_ALREADY_EXISTS: KAFKA_ERRORS.TOPIC_ALREADY_EXISTS.code,
  UNKNOWN_TOPIC_OR_PARTITION: KAFKA_ERRORS.UNKNOWN_TOPIC_OR_PARTITION.code,
  DUPLICATE_SEQUENCE_NUMBER: KAFKA_ERRORS.DUPLICATE_SEQUENCE_NUMBER.code,
  MEMBER_ID_REQUIRED: KAFKA_ERRORS.MEMBER_ID_REQUIRED.code,
  REBALANCE_IN_PROGRESS: KAFKA_ERRORS.REBALANCE_IN_PROGRESS.code,
  UNKNOWN_MEMBER_ID: KAFKA_ERRORS.UNKNOWN_MEMBER_ID.code,
  ILLEGAL_GENERATION: KAFKA_ERRORS.ILLEGAL_GENERATION.code,
  FENCED_INSTANCE_ID: KAFKA_ERRORS.FENCED_INSTANCE_ID.code,
} as const;

/** Codes that mean "a newer producer with this transactional id exists": final for this producer. */
export const FENCING = new Set(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH', 'TRANSACTION_COORDINATOR_FENCED', 'INVALID_PRODUCER_ID_MAPPING']);
/** Codes on a group-fenced commit (EOS-v2): the member's generation is stale. */
export const MEMBERSHIP_LOST = new Set(['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID', 'REBALANCE_IN_PROGRESS']);
/** Codes after which metadata (leaders) or a coordinator must be looked up again. */
export const STALE_ROUTING = new Set(['NOT_LEADER_OR_FOLLOWER', 'LEADER_NOT_AVAILABLE', 'UNKNOWN_TOPIC_OR_PARTITION', 'NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'NETWORK_EXCEPTION', 'REPLICA_NOT_AVAILABLE', 'FENCED_LEADER_EPOCH', 'UNKNOWN_LEADER_EPOCH']);

export function check(errorCode: number, context: string, serverMessage?: string | null): void {
  if (errorCode !== 0) throw new KafkaResponseError(errorCode, context, serverMessage);
}

export function isRetriable(e: unknown): boolean {
  return (e instanceof KafkaResponseError || e instanceof KafkaConnectionError) && e.retriable;
}

export function kafkaNameOf(e: unknown): string | undefined {
  if (e instanceof KafkaResponseError) return e.kafkaName;
  if (e instanceof TributaryError) return e.code;
  return undefined;
}
