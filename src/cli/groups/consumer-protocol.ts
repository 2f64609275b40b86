import { Reader } from '../../protocol/index.js';
import type { MemberAssignment } from './model.js';

/**
 * Kafka's ConsumerProtocolAssignment (the bytes a consumer group leader hands each member in
 * SyncGroup and the coordinator stores): version int16, then [topic string, partitions [int32]],
 * then user data. Versions 0-3 share this prefix. Returns [] for empty or unreadable bytes (a
 * member between rebalances, or a non-consumer protocol).
 */
export function decodeConsumerAssignment(bytes: Buffer): MemberAssignment[] {
  if (bytes.length < 6) return [];
  try {
    const r = new Reader(bytes, 0, bytes.length, 'CORRUPT_MESSAGE');
    r.int16();
    const topics = r.arrayLength(6);
    const out: MemberAssignment[] = [];
    for (let i = 0; i < topics; i++) {
      const topic = r.string();
      const n = r.arrayLength(4);
      const partitions: number[] = [];
      for (let j = 0; j < n; j++) partitions.push(r.int32());
      out.push({ topic, partitions: partitions.sort((a, b) => a - b) });
    }
    return out;
  } catch {
    return [];
  }
}
