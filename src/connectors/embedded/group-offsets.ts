import type { LogManager } from '../../log/log-manager.js';
import { forEachCommittedRecord } from '../../log/committed-records.js';
import type { TopicConfigInput } from '../../log/topic-config.js';
import { encodeRecordBatch } from '../../records/record-batch.js';
import type { RecordInput } from '../../records/record.js';
import type { PartitionOffset, TopicPartition } from '../log.js';

/**
 * Committed offsets of consumer groups in the embedded log: the internal compacted topic
 * `__consumer_offsets`, in Kafka's record format (key v1: group, topic, partition; value v3:
 * offset, leader epoch, metadata, commit timestamp), the same topic and format as the broker's
 * group coordinator (src/broker/group/offsets-topic.ts), so one data directory can be served by
 * either. A group lives in partition abs(javaHash(groupId)) % partitions; the topic is created
 * with one partition (the broker's default) when first needed.
 *
 * Transactional commits (Kafka's TxnOffsetCommit) are records of the producer's transaction in
 * the group's partition: they become visible only when the transaction commits. This store keeps
 * them pending per producer id until the transaction coordinator reports the outcome
 * (`onTransactionEnd`), and reads the topic read_committed when it loads, so an aborted or
 * never-finished transaction's offsets are never returned.
 */
export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';

export const OFFSETS_TOPIC_CONFIG: TopicConfigInput = {
  'cleanup.policy': 'compact',
  'segment.bytes': 100 * 1024 * 1024,
};

const OFFSET_KEY_VERSION = 1;
const OFFSET_VALUE_VERSION = 3;

export class GroupOffsetsStore {
  private loaded = false;
  /** group -> "topic\0partition" -> offset */
  private readonly committed = new Map<string, Map<string, number>>();
  private readonly pending = new Map<number, Array<{ group: string; offsets: readonly PartitionOffset[] }>>();
  private ensuring: Promise<void> | null = null;

  constructor(private readonly manager: LogManager) {}

  /** Creates `__consumer_offsets` if needed. */
  ensureTopic(): Promise<void> {
    if (this.manager.hasTopic(CONSUMER_OFFSETS_TOPIC)) return Promise.resolve();
    this.ensuring ??= (async () => {
      try {
        if (!this.manager.hasTopic(CONSUMER_OFFSETS_TOPIC)) {
          await this.manager.createTopic(CONSUMER_OFFSETS_TOPIC, { partitions: 1, config: OFFSETS_TOPIC_CONFIG });
        }
      } catch (e) {
        if (!this.manager.hasTopic(CONSUMER_OFFSETS_TOPIC)) throw e;
      } finally {
        this.ensuring = null;
      }
    })();
    return this.ensuring;
  }

  partitionFor(groupId: string): number {
    const n = this.manager.hasTopic(CONSUMER_OFFSETS_TOPIC) ? this.manager.describeTopic(CONSUMER_OFFSETS_TOPIC).partitions.length : 1;
    return kafkaAbs(javaStringHash(groupId)) % n;
  }

  /** The records of an offset commit, in Kafka's format. */
  records(groupId: string, offsets: readonly PartitionOffset[], now: number): RecordInput[] {
    return offsets.map((o) => ({ key: offsetKey(groupId, o.topic, o.partition), value: offsetValue(o.offset, now), timestamp: now }));
  }

  committedOffsets(groupId: string, partitions: readonly TopicPartition[]): number[] {
    this.load();
    const g = this.committed.get(groupId);
    return partitions.map((tp) => g?.get(key(tp.topic, tp.partition)) ?? -1);
  }

  /** A plain (non-transactional) commit; resolves once appended durably by the log's fsync policy. */
  async commit(groupId: string, offsets: readonly PartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    await this.ensureTopic();
    this.load();
    const now = Date.now();
    const batch = encodeRecordBatch({ records: this.records(groupId, offsets, now) });
    await this.manager.partition(CONSUMER_OFFSETS_TOPIC, this.partitionFor(groupId)).append(batch);
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

  /** Replays the topic read_committed (once): the latest committed offset per group and partition. */
  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    if (!this.manager.hasTopic(CONSUMER_OFFSETS_TOPIC)) return;
    const n = this.manager.describeTopic(CONSUMER_OFFSETS_TOPIC).partitions.length;
    for (let p = 0; p < n; p++) {
      const log = this.manager.partition(CONSUMER_OFFSETS_TOPIC, p);
      let offset = log.logStartOffset;
      for (;;) {
        const read = log.read(offset, { maxBytes: 4 * 1024 * 1024, isolation: 'read_committed' });
        if (read.records.length === 0) break;
        offset = forEachCommittedRecord(
          read,
          (_o, _ts, k, v) => {
            if (k === null || k.length < 2 || k.readInt16BE(0) > 1) return; // group metadata (v2) and unknown keys
            const decoded = decodeOffsetKey(k);
            if (decoded === null) return;
            let g = this.committed.get(decoded.group);
            if (!g) this.committed.set(decoded.group, (g = new Map()));
            const id = key(decoded.topic, decoded.partition);
            if (v === null) g.delete(id);
            else g.set(id, decodeOffsetValue(v));
          },
          { fromOffset: offset },
        );
      }
    }
  }
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function writeString(buf: Buffer, at: number, s: Buffer): number {
  buf.writeInt16BE(s.length, at);
  s.copy(buf, at + 2);
  return at + 2 + s.length;
}

export function offsetKey(groupId: string, topic: string, partition: number): Buffer {
  const g = Buffer.from(groupId, 'utf8');
  const t = Buffer.from(topic, 'utf8');
  const buf = Buffer.allocUnsafe(2 + 2 + g.length + 2 + t.length + 4);
  buf.writeInt16BE(OFFSET_KEY_VERSION, 0);
  let at = writeString(buf, 2, g);
  at = writeString(buf, at, t);
  buf.writeInt32BE(partition, at);
  return buf;
}

/** Value v3: offset int64, leader epoch int32 (-1), metadata string (''), commit timestamp int64. */
export function offsetValue(offset: number, commitTimestamp: number): Buffer {
  const buf = Buffer.allocUnsafe(2 + 8 + 4 + 2 + 8);
  buf.writeInt16BE(OFFSET_VALUE_VERSION, 0);
  buf.writeBigInt64BE(BigInt(offset), 2);
  buf.writeInt32BE(-1, 10);
  buf.writeInt16BE(0, 14);
  buf.writeBigInt64BE(BigInt(commitTimestamp), 16);
  return buf;
}

function decodeOffsetKey(k: Buffer): { group: string; topic: string; partition: number } | null {
  try {
    let at = 2;
    const gl = k.readInt16BE(at);
    const group = k.toString('utf8', at + 2, at + 2 + gl);
    at += 2 + gl;
    const tl = k.readInt16BE(at);
    const topic = k.toString('utf8', at + 2, at + 2 + tl);
    at += 2 + tl;
    return { group, topic, partition: k.readInt32BE(at) };
  } catch {
    return null;
  }
}

/** Offset values v0-v4: the offset is always the int64 after the version. */
function decodeOffsetValue(v: Buffer): number {
  return Number(v.readBigInt64BE(2));
}

/** Java's String.hashCode. */
function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}
