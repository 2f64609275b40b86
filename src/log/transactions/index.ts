export {
  CONSUMER_OFFSETS_TOPIC,
  PRODUCER_ID_BLOCK_SIZE,
  TRANSACTION_STATE_TOPIC,
  TransactionCoordinator,
  defaultOffsetsPartition,
  type ProducerIdAndEpoch,
  type TransactionCompletion,
  type TransactionCoordinatorOptions,
  type TransactionDescription,
  type TransactionListener,
} from './coordinator.js';
export type { TopicPartition, TransactionMetadata, TransactionState } from './state-codec.js';
