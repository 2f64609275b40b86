import {
  CONSUMER_OFFSETS_TOPIC,
  ConsumerOffsetsTopic,
  offsetKey,
  offsetValue,
  type LogManager,
} from '../../log/index.js';
import type { RecordInput } from '../../records/record.js';
import type { PartitionOffset, TopicPartition } from '../log.js';

/**
 * Committed offsets of consumer groups in the embedded log: the internal compacted topic
 * `__consumer_offsets`, read and written through the same implementation as the broker's group
 * coordinator (src/log/consumer-offsets.ts), so one data directory can be served by either.
 *
 * Transactional commits (Kafka's TxnOffsetCommit) are records of the producer's transaction in
 * the group's partition: they become visible only when the transaction commits. This store keeps
 * them pending per producer id until the transaction coordinator reports the outcome
 * (`onTransactionEnd`); when it loads, the topic's transactional offsets are applied at their
 * commit markers only, so an aborted or never-finished transaction's offsets are never returned.
 */
export { CONSUMER_OFFSETS_TOPIC };

export class GroupOffsetsStore {
  private loaded = false;
  /** group -> "topic\0partition" -> offset */
  private readonly committed = new Map<string, Map<string, number>>();
  private readonly pending = new Map<number, Array<{ group: string; offsets: readonly PartitionOffset[] }>>();
  private readonly topic: ConsumerOffsetsTopic;

  constructor(manager: LogManager) {
    this.topic = new ConsumerOffsetsTopic(manager);
  }

  /** Creates `__consumer_offsets` if needed. */
  ensureTopic(): Promise<void> {
    return this.topic.ensure();
  }

  partitionFor(groupId: string): number {
    return this.topic.partitionFor(groupId);
  }

  /** The records of an offset commit, in Kafka's format. */
  records(groupId: string, offsets: readonly PartitionOffset[], now: number): RecordInput[] {
    return offsetCommitRecords(groupId, offsets, now);
  }

  committedOffsets(groupId: string, partitions: readonly TopicPartition[]): number[] {
    this.load();
    const g = this.committed.get(groupId);
    return partitions.map((tp) => g?.get(key(tp.topic, tp.partition)) ?? -1);
  }

  /** A plain (non-transactional) commit; resolves once appended durably by the log's fsync policy. */
  async commit(groupId: string, offsets: readonly PartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    this.load();
    const now = Date.now();
    await this.topic.write(
      groupId,
      offsets.map((o) => ({ key: offsetKey(groupId, o.topic, o.partition), value: offsetValue({ offset: o.offset, leaderEpoch: -1, metadata: '', commitTimestamp: now }) })),
    );
    this.apply(groupId, offsets);
  }

  /** Offsets written in a transaction of `producerId`; applied when it commits. */
  addPending(producerId: number, groupId: string, offsets: readonly PartitionOffset[]): void {
    this.load();
    let list = this.pending.get(producerId);
    if (!list) this.pending.set(producerId, (list = []));
    list.push({ group: groupId, offsets });
  }

  /** The transaction coordinator's hook: the producer's transaction committed or aborted. */
  onTransactionEnd(producerId: number, committed: boolean): void {
    const list = this.pending.get(producerId);
    if (!list) return;
    this.pending.delete(producerId);
    if (committed) for (const p of list) this.apply(p.group, p.offsets);
  }

  private apply(groupId: string, offsets: readonly PartitionOffset[]): void {
    let g = this.committed.get(groupId);
    if (!g) this.committed.set(groupId, (g = new Map()));
    for (const o of offsets) g.set(key(o.topic, o.partition), o.offset);
  }

  /** Replays the topic (once): the latest committed offset per group and partition. */
  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    for (const [group, byTopic] of this.topic.load().offsets) {
      for (const [topic, parts] of byTopic) this.apply(group, [...parts].map(([partition, o]) => ({ topic, partition, offset: o.offset })));
    }
  }
}

/** The records of an offset commit, in Kafka's format (`__consumer_offsets` keys and values). */
export function offsetCommitRecords(groupId: string, offsets: readonly PartitionOffset[], now: number): RecordInput[] {
  return offsets.map((o) => ({
    key: offsetKey(groupId, o.topic, o.partition),
    value: offsetValue({ offset: o.offset, leaderEpoch: -1, metadata: '', commitTimestamp: now }),
    timestamp: now,
  }));
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
