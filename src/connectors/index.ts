/**
 * The log seen by the engine: the `Log` interface (src/connectors/log.ts, with its contract) and
 * its implementations — `embedded({ dataDir })` and `kafka({ brokers })` (a Kafka cluster or `tributary broker`).
 */
export * from './log.js';
export { embedded, EmbeddedLog, type EmbeddedOptions, CONSUMER_OFFSETS_TOPIC } from './embedded/index.js';
export { kafka, KafkaLog, type KafkaOptions, KafkaResponseError, KafkaConnectionError, GroupMembershipLostError } from './kafka/index.js';
export { visitRecords } from './records.js';
