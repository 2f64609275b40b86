import { TributaryError } from './errors.js';
import { murmur2, toPositive } from './murmur2.js';

/**
 * The partition Kafka's default partitioner (Java, and every client that claims compatibility)
 * picks for a keyed record: toPositive(murmur2(keyBytes)) % numPartitions. It must match Java
 * exactly, or records with the same key land on different partitions depending on which client
 * wrote them, and keyed state and joins break.
 *
 * Records without a key are not covered: Java spreads them with its sticky partitioner, which is a
 * producer policy, not a function of the record.
 */
export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions <= 0) {
    throw new TributaryError('INVALID_PARTITIONS', `partition count must be a positive integer, got ${numPartitions}`);
  }
  return toPositive(murmur2(key)) % numPartitions;
}
