import { partitionForKey } from '../records/partitioner.js';

/**
 * Chooses the partition of an output record. `keyBytes` is the serialized key (null for a null
 * key). Must return an integer in [0, numPartitions).
 */
export type Partitioner<K, V> = {
  // Method syntax makes the parameters bivariant, so a Stream of a subtype is still assignable
  // to a Stream of its supertype (streams are covariant in their value type).
  bivariant(key: K, value: V, keyBytes: Buffer | null, numPartitions: number): number;
}['bivariant'];

/**
 * Kafka's default: murmur2 of the key bytes, as Java's producer does, so Tributary and any Kafka
 * client agree on where a key lives. Null keys are spread round-robin by the sink (see Sink).
 */
export function defaultPartition(keyBytes: Buffer, numPartitions: number): number {
  return partitionForKey(keyBytes, numPartitions);
}
