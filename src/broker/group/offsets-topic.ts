import type { PartitionLog, TopicConfigInput } from '../../log/index.js';
import { Reader, Writer } from '../../protocol/index.js';
import { encodeRecordBatch, isTransactionMarker, iterateBatches, readControlRecord } from '../../records/index.js';
import type { BrokerLogger } from '../options.js';
import { CONSUMER_OFFSETS_TOPIC, type TopicService } from '../topics.js';

/**
 * The internal compacted topic `__consumer_offsets`, in Kafka's own record format (so Kafka's
 * tools could read it): a committed offset is key v1 (group, topic, partition) -> value v3
 * (offset, leader epoch, metadata, commit timestamp); a group's state is key v2 (group) -> value
 * v3 (protocol type, generation, protocol, leader, members with subscription and assignment).
 * A null value is a tombstone. A group lives in partition abs(javaHash(groupId)) % partitions.
 */

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
}

export interface StoredMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface StoredGroup {
  protocolType: string;
  generationId: number;
  protocolName: string | null;
  leaderId: string | null;
  currentStateTimestamp: number;
  members: StoredMember[];
}

export type OffsetsTopicKey =
  | { kind: 'offset'; groupId: string; topic: string; partition: number }
  | { kind: 'group'; groupId: string };

export interface OffsetsTopicRecord {
  key: Buffer;
  /** null: tombstone. */
  value: Buffer | null;
}

const OFFSET_KEY_VERSION = 1;
const GROUP_KEY_VERSION = 2;
const OFFSET_VALUE_VERSION = 3;
const GROUP_VALUE_VERSION = 3;

export function offsetKey(groupId: string, topic: string, partition: number): Buffer {
  const w = new Writer(64);
  w.int16(OFFSET_KEY_VERSION);
  w.string(groupId);
  w.string(topic);
  w.int32(partition);
  return w.toBuffer();
}

export function groupKey(groupId: string): Buffer {
  const w = new Writer(32);
  w.int16(GROUP_KEY_VERSION);
  w.string(groupId);
  return w.toBuffer();
}

export function offsetValue(o: CommittedOffset): Buffer {
  const w = new Writer(64);
  w.int16(OFFSET_VALUE_VERSION);
  w.int64(BigInt(o.offset));
  w.int32(o.leaderEpoch);
  w.string(o.metadata);
  w.int64(BigInt(o.commitTimestamp));
  return w.toBuffer();
}

export function groupValue(g: StoredGroup): Buffer {
  const w = new Writer(256);
  w.int16(GROUP_VALUE_VERSION);
  w.string(g.protocolType);
  w.int32(g.generationId);
  w.nullableString(g.protocolName);
  w.nullableString(g.leaderId);
  w.int64(BigInt(g.currentStateTimestamp));
  w.arrayLength(g.members.length);
  for (const m of g.members) {
    w.string(m.memberId);
    w.nullableString(m.groupInstanceId);
    w.string(m.clientId);
    w.string(m.clientHost);
    w.int32(m.rebalanceTimeoutMs);
    w.int32(m.sessionTimeoutMs);
    w.bytes(m.subscription);
    w.bytes(m.assignment);
  }
  return w.toBuffer();
}

export function decodeKey(buf: Buffer): OffsetsTopicKey | null {
  const r = new Reader(buf, 0, buf.length, 'CORRUPT_MESSAGE');
  const version = r.int16();
  if (version === 0 || version === 1) {
    return { kind: 'offset', groupId: r.string(), topic: r.string(), partition: r.int32() };
  }
  if (version === 2) return { kind: 'group', groupId: r.string() };
  return null;
}

/** Offset values v0-v3 (v4 is the flexible encoding of v3). */
export function decodeOffsetValue(buf: Buffer): CommittedOffset {
  const r = new Reader(buf, 0, buf.length, 'CORRUPT_MESSAGE');
  const version = r.int16();
  const flexible = version >= 4;
  const offset = Number(r.int64());
  const leaderEpoch = version >= 3 ? r.int32() : -1;
  const metadata = flexible ? r.compactString() : r.string();
  const commitTimestamp = Number(r.int64());
  return { offset, leaderEpoch, metadata, commitTimestamp };
}

/** Group values v0-v3 (v4 is the flexible encoding of v3). */
export function decodeGroupValue(buf: Buffer): StoredGroup {
  const r = new Reader(buf, 0, buf.length, 'CORRUPT_MESSAGE');
  const version = r.int16();
  const flex = version >= 4;
  const str = () => (flex ? r.compactString() : r.string());
  const nstr = () => (flex ? r.compactNullableString() : r.nullableString());
  const bytes = () => (flex ? r.compactBytes() : r.bytes());
  const protocolType = str();
  const generationId = r.int32();
  const protocolName = nstr();
  const leaderId = nstr();
  const currentStateTimestamp = version >= 2 ? Number(r.int64()) : -1;
  const n = flex ? r.compactArrayLength(1) : r.arrayLength(1);
  const members: StoredMember[] = [];
  for (let i = 0; i < n; i++) {
    const memberId = str();
    const groupInstanceId = version >= 3 ? nstr() : null;
    const clientId = str();
    const clientHost = str();
    const rebalanceTimeoutMs = version >= 1 ? r.int32() : 0;
    const sessionTimeoutMs = r.int32();
    // Copies: the batch bytes they come from are not kept.
    const subscription = Buffer.from(bytes());
    const assignment = Buffer.from(bytes());
    if (flex) r.skipTaggedFields();
    members.push({ memberId, groupInstanceId, clientId, clientHost, rebalanceTimeoutMs: rebalanceTimeoutMs || sessionTimeoutMs, sessionTimeoutMs, subscription, assignment });
  }
  return { protocolType, generationId, protocolName, leaderId, currentStateTimestamp, members };
}

/** Java's String.hashCode (over UTF-16 code units, int32 overflow). */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs: Integer.MIN_VALUE maps to 0. */
function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

export const OFFSETS_TOPIC_CONFIG: TopicConfigInput = {
  'cleanup.policy': 'compact',
  // Kafka's offsets.topic.segment.bytes
  'segment.bytes': 100 * 1024 * 1024,
};

/** Writes and replays `__consumer_offsets` through the LogManager. */
export class OffsetsTopic {
  private partitions = 0;
  private ensuring: Promise<void> | null = null;

  constructor(
    private readonly topics: TopicService,
    private readonly configuredPartitions: number,
    private readonly logger: BrokerLogger,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The partition of a group (the topic's actual partition count, which may predate the option). */
  partitionFor(groupId: string): number {
    const n = this.partitions > 0 ? this.partitions : this.configuredPartitions;
    return kafkaAbs(javaStringHash(groupId)) % n;
  }

  /** Creates the topic on first use (as Kafka does on the first FindCoordinator). */
  ensure(): Promise<void> {
    if (this.partitions > 0 && this.topics.exists(CONSUMER_OFFSETS_TOPIC)) return Promise.resolve();
    this.ensuring ??= (async () => {
      try {
        if (!this.topics.exists(CONSUMER_OFFSETS_TOPIC)) {
          await this.topics.create(CONSUMER_OFFSETS_TOPIC, { partitions: this.configuredPartitions, config: OFFSETS_TOPIC_CONFIG }, true);
        }
        this.partitions = this.topics.partitionCount(CONSUMER_OFFSETS_TOPIC);
      } finally {
        this.ensuring = null;
      }
    })();
    return this.ensuring;
  }

  /** Appends one batch of records for a group; resolves when durable by the log's fsync policy. */
  async write(groupId: string, records: readonly OffsetsTopicRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.ensure();
    const now = this.clock();
    const batch = encodeRecordBatch({ records: records.map((r) => ({ key: r.key, value: r.value, timestamp: now })) });
    await this.topics.partition(CONSUMER_OFFSETS_TOPIC, this.partitionFor(groupId)).append(batch);
  }

  /**
   * Appends one transactional batch of offset records for a group on behalf of a producer (Kafka's
   * TxnOffsetCommit: producer id and epoch, no sequence, the transactional bit, written with the
   * coordinator origin so the partition tracks the transaction without sequence checks). Only
   * call after ensure(). `beforeAppend` runs synchronously right before the append (the caller's
   * check against the transaction coordinator: nothing can end the transaction in between).
   * Returns whether the records were written (synchronously) and the durability wait.
   */
  appendTransactional(
    groupId: string,
    records: readonly OffsetsTopicRecord[],
    producerId: number,
    producerEpoch: number,
    beforeAppend: () => void,
  ): { written: boolean; durable: Promise<unknown> } {
    const now = this.clock();
    const batch = encodeRecordBatch({
      producerId,
      producerEpoch,
      baseSequence: -1,
      transactional: true,
      records: records.map((r) => ({ key: r.key, value: r.value, timestamp: now })),
    });
    const log: PartitionLog = this.topics.partition(CONSUMER_OFFSETS_TOPIC, this.partitionFor(groupId));
    beforeAppend();
    const before = log.logEndOffset;
    const durable = log.append(batch, { origin: 'coordinator' });
    return { written: log.logEndOffset > before, durable };
  }

  /**
   * Replays every record of the topic, oldest first, partition by partition (none when it does not
   * exist). Records of transactional batches come with their producer id (else -1); `marker` is
   * called for every transaction marker, so the caller can apply (commit) or drop (abort) what the
   * producer wrote in that partition before it - Kafka's loading of pending transactional offsets.
   */
  replay(
    visit: (key: OffsetsTopicKey, value: Buffer | null, partition: number, producerId: number) => void,
    marker: (partition: number, producerId: number, commit: boolean) => void = () => {},
  ): number {
    if (!this.topics.exists(CONSUMER_OFFSETS_TOPIC)) return 0;
    this.partitions = this.topics.partitionCount(CONSUMER_OFFSETS_TOPIC);
    let count = 0;
    for (let p = 0; p < this.partitions; p++) {
      const log = this.topics.partition(CONSUMER_OFFSETS_TOPIC, p);
      let offset = log.logStartOffset;
      const end = log.highWatermark;
      while (offset < end) {
        const { records } = log.read(offset, { maxBytes: 4 * 1024 * 1024 });
        if (records.length === 0) break;
        for (const batch of iterateBatches(records)) {
          offset = batch.lastOffset + 1;
          if (batch.isControl) {
            try {
              const control = readControlRecord(batch);
              if (isTransactionMarker(control)) marker(p, batch.producerId, control.type === 'commit');
            } catch (e) {
              this.logger.warn(`${CONSUMER_OFFSETS_TOPIC}-${p}: skipping an unreadable control batch at ${batch.baseOffset}: ${String(e)}`);
            }
            continue;
          }
          const producerId = batch.isTransactional ? batch.producerId : -1;
          batch.forEachRecord((_o, _ts, key, value) => {
            if (key === null) return;
            let k: OffsetsTopicKey | null;
            try {
              k = decodeKey(key);
            } catch {
              k = null;
            }
            if (k === null) {
              this.logger.warn(`${CONSUMER_OFFSETS_TOPIC}-${p}: skipping a record with an unknown key`);
              return;
            }
            visit(k, value === null ? null : Buffer.from(value), p, producerId);
            count++;
          });
        }
      }
    }
    return count;
  }
}
