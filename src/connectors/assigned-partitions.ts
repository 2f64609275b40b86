import { tpKey, type ConsumerOptions, type Isolation, type PartitionOffset, type TopicPartition } from './log.js';

/** What every LogConsumer keeps per assigned partition. */
export interface AssignedPartition extends TopicPartition {
  position: number;
  paused: boolean;
}

/**
 * The assignment bookkeeping of a LogConsumer — assign, assignment, seek, position, pause, resume and
 * the option defaults — shared by the embedded and the Kafka consumer, which differ only in how they
 * fetch. A subclass says what it keeps per partition (`assigned`) and how a waiting fetch is woken.
 */
export abstract class AssignedPartitions<A extends AssignedPartition> {
  protected readonly parts = new Map<string, A>();
  protected readonly isolation: Isolation;
  protected readonly maxBytesPerPartition: number;
  protected readonly maxBytes: number;

  constructor(options: ConsumerOptions = {}) {
    this.isolation = options.isolation ?? 'read_committed';
    this.maxBytesPerPartition = options.maxBytesPerPartition ?? 1024 * 1024;
    this.maxBytes = options.maxBytes ?? 8 * 1024 * 1024;
  }

  /** The state of a newly assigned partition; `before` is its state under the previous assignment, if any. */
  protected abstract assigned(p: PartitionOffset, before: A | undefined): A;

  abstract wakeup(): void;

  /** Called after the assignment changed, before waking a waiting fetch. */
  protected onAssign(): void {}

  assign(partitions: readonly PartitionOffset[]): void {
    const before = new Map(this.parts);
    this.parts.clear();
    for (const p of partitions) {
      const key = tpKey(p.topic, p.partition);
      this.parts.set(key, this.assigned(p, before.get(key)));
    }
    this.onAssign();
    this.wakeup();
  }

  assignment(): TopicPartition[] {
    return [...this.parts.values()].map((p) => ({ topic: p.topic, partition: p.partition }));
  }

  seek(tp: TopicPartition, offset: number): void {
    this.get(tp).position = offset;
  }

  position(tp: TopicPartition): number {
    return this.get(tp).position;
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.get(tp).paused = true;
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.get(tp).paused = false;
    this.wakeup();
  }

  protected get(tp: TopicPartition): A {
    const p = this.parts.get(tpKey(tp.topic, tp.partition));
    if (!p) throw new Error(`partition ${tp.topic}-${tp.partition} is not assigned to this consumer`);
    return p;
  }
}
