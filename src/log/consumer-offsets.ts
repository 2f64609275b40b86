import { encodeRecordBatch, isTransactionMarker, iterateBatches, readControlRecord } from '../records/index.js';
import { CorruptRecordError } from './errors.js';
import type { LogManager } from './log-manager.js';
import type { LogLogger } from './logger.js';
import type { PartitionLog } from './partition-log.js';
import type { TopicConfigInput } from './topic-config.js';

/**
 * Committed offsets and group metadata of consumer groups: the internal compacted topic
 * `__consumer_offsets`, in Kafka's own record format (so Kafka's tools can read it, and one data
 * directory can be served by the broker and used by in-process applications alike). A committed
 * offset is key v1 (group, topic, partition) -> value v3 (offset, leader epoch, metadata, commit
 * timestamp); a group's state is key v2 (group) -> value v3 (protocol type, generation, protocol,
 * leader, state timestamp, members with subscription and assignment). A null value is a tombstone.
 * A group lives in partition abs(javaHash(groupId)) % partitions.
 *
 * Both the broker's group coordinator and the embedded connector's offset store read and write the
 * topic through this one implementation.
 */

export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';

export const OFFSETS_TOPIC_CONFIG: TopicConfigInput = {
  'cleanup.policy': 'compact',
  // Kafka's offsets.topic.segment.bytes
  'segment.bytes': 100 * 1024 * 1024,
};

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

// -------------------------------------------------------------------------------------------------
// the record format (Kafka's classic int16-length strings, int32-length bytes and arrays)

/** Appends Kafka's fixed-width encodings to a growing list of chunks. */
class Encoder {
  private readonly chunks: Buffer[] = [];

  int16(v: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeInt16BE(v);
    this.chunks.push(b);
    return this;
  }

  int32(v: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(v);
    this.chunks.push(b);
    return this;
  }

  int64(v: number): this {
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(BigInt(v));
    this.chunks.push(b);
    return this;
  }

  nullableString(s: string | null): this {
    if (s === null) return this.int16(-1);
    const b = Buffer.from(s, 'utf8');
    return this.int16(b.length).raw(b);
  }

  string(s: string): this {
    return this.nullableString(s);
  }

  bytes(b: Buffer): this {
    return this.int32(b.length).raw(b);
  }

  raw(b: Buffer): this {
    this.chunks.push(b);
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Reads Kafka's encodings, classic and flexible (compact, tagged fields), with bounds checks. */
class Decoder {
  private at = 0;

  constructor(private readonly buf: Buffer) {}

  private need(n: number): number {
    if (n < 0 || this.at + n > this.buf.length) throw new CorruptRecordError(`${CONSUMER_OFFSETS_TOPIC} record truncated`);
    const at = this.at;
    this.at += n;
    return at;
  }

  int16(): number {
    return this.buf.readInt16BE(this.need(2));
  }

  int32(): number {
    return this.buf.readInt32BE(this.need(4));
  }

  int64(): number {
    return Number(this.buf.readBigInt64BE(this.need(8)));
  }

  unsignedVarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.buf[this.need(1)]!;
      value |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return value >>> 0;
    }
    throw new CorruptRecordError(`${CONSUMER_OFFSETS_TOPIC} record: varint too long`);
  }

  private text(length: number): string {
    const at = this.need(length);
    return this.buf.toString('utf8', at, at + length);
  }

  nullableString(flexible: boolean): string | null {
    const n = flexible ? this.unsignedVarint() - 1 : this.int16();
    return n < 0 ? null : this.text(n);
  }

  string(flexible: boolean): string {
    return this.nullableString(flexible) ?? '';
  }

  /** A copy: the batch bytes it comes from are not kept. */
  bytes(flexible: boolean): Buffer {
    const n = flexible ? this.unsignedVarint() - 1 : this.int32();
    if (n < 0) return Buffer.alloc(0);
    const at = this.need(n);
    return Buffer.from(this.buf.subarray(at, at + n));
  }

  arrayLength(flexible: boolean): number {
    const n = flexible ? this.unsignedVarint() - 1 : this.int32();
    if (n > this.buf.length) throw new CorruptRecordError(`${CONSUMER_OFFSETS_TOPIC} record: array length ${n}`);
    return Math.max(n, 0);
  }

  skipTaggedFields(): void {
    const n = this.unsignedVarint();
    for (let i = 0; i < n; i++) {
      this.unsignedVarint();
      this.need(this.unsignedVarint());
    }
  }
}

export function offsetKey(groupId: string, topic: string, partition: number): Buffer {
  return new Encoder().int16(OFFSET_KEY_VERSION).string(groupId).string(topic).int32(partition).toBuffer();
}

export function groupKey(groupId: string): Buffer {
  return new Encoder().int16(GROUP_KEY_VERSION).string(groupId).toBuffer();
}

export function offsetValue(o: CommittedOffset): Buffer {
  return new Encoder()
    .int16(OFFSET_VALUE_VERSION)
    .int64(o.offset)
    .int32(o.leaderEpoch)
    .string(o.metadata)
    .int64(o.commitTimestamp)
    .toBuffer();
}

export function groupValue(g: StoredGroup): Buffer {
  const e = new Encoder()
    .int16(GROUP_VALUE_VERSION)
    .string(g.protocolType)
    .int32(g.generationId)
    .nullableString(g.protocolName)
    .nullableString(g.leaderId)
    .int64(g.currentStateTimestamp)
    .int32(g.members.length);
  for (const m of g.members) {
    e.string(m.memberId)
      .nullableString(m.groupInstanceId)
      .string(m.clientId)
      .string(m.clientHost)
      .int32(m.rebalanceTimeoutMs)
      .int32(m.sessionTimeoutMs)
      .bytes(m.subscription)
      .bytes(m.assignment);
  }
  return e.toBuffer();
}

/** Keys v0-v2; null for versions this format does not know (later Kafka record types). */
export function decodeKey(buf: Buffer): OffsetsTopicKey | null {
  const d = new Decoder(buf);
  const version = d.int16();
  if (version === 0 || version === 1) return { kind: 'offset', groupId: d.string(false), topic: d.string(false), partition: d.int32() };
  if (version === 2) return { kind: 'group', groupId: d.string(false) };
  return null;
}

/** Offset values v0-v4 (v1 has an expire timestamp, v4 is the flexible encoding of v3). */
export function decodeOffsetValue(buf: Buffer): CommittedOffset {
  const d = new Decoder(buf);
  const version = d.int16();
  const flexible = version >= 4;
  const offset = d.int64();
  const leaderEpoch = version >= 3 ? d.int32() : -1;
  const metadata = d.string(flexible);
  const commitTimestamp = d.int64();
  return { offset, leaderEpoch, metadata, commitTimestamp };
}

/** Group values v0-v4 (v4 is the flexible encoding of v3). */
export function decodeGroupValue(buf: Buffer): StoredGroup {
  const d = new Decoder(buf);
  const version = d.int16();
  const flex = version >= 4;
  const protocolType = d.string(flex);
  const generationId = d.int32();
  const protocolName = d.nullableString(flex);
  const leaderId = d.nullableString(flex);
  const currentStateTimestamp = version >= 2 ? d.int64() : -1;
  const n = d.arrayLength(flex);
  const members: StoredMember[] = [];
  for (let i = 0; i < n; i++) {
    const memberId = d.string(flex);
    const groupInstanceId = version >= 3 ? d.nullableString(flex) : null;
    const clientId = d.string(flex);
    const clientHost = d.string(flex);
    const rebalanceTimeoutMs = version >= 1 ? d.int32() : 0;
    const sessionTimeoutMs = d.int32();
    const subscription = d.bytes(flex);
    const assignment = d.bytes(flex);
    if (flex) d.skipTaggedFields();
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

/** Kafka's partitionFor(groupId): Utils.abs(groupId.hashCode) % partitions (abs(MIN_VALUE) is 0). */
export function groupPartition(groupId: string, partitions: number): number {
  const h = javaStringHash(groupId);
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitions;
}

// -------------------------------------------------------------------------------------------------
// the topic

export interface ConsumerOffsetsTopicOptions {
  /** Partitions when the topic is first created (Kafka's offsets.topic.num.partitions). Default 1. */
  partitions?: number;
  /** Creates the topic (the broker passes its own, which logs and caches topic ids). Default: the LogManager's. */
  createTopic?: (name: string, options: { partitions: number; config: TopicConfigInput }) => Promise<unknown>;
  logger?: Pick<LogLogger, 'warn'>;
  clock?: () => number;
}

/** Writes and replays `__consumer_offsets` through a LogManager. */
export class ConsumerOffsetsTopic {
  private partitions = 0;
  private ensuring: Promise<void> | null = null;
  private readonly configuredPartitions: number;
  private readonly createTopic: NonNullable<ConsumerOffsetsTopicOptions['createTopic']>;
  private readonly warn: (message: string) => void;
  private readonly clock: () => number;

  constructor(
    private readonly log: LogManager,
    options: ConsumerOffsetsTopicOptions = {},
  ) {
    this.configuredPartitions = options.partitions ?? 1;
    this.createTopic = options.createTopic ?? ((name, o) => log.createTopic(name, o));
    const logger = options.logger;
    this.warn = logger === undefined ? () => {} : (m) => logger.warn(m);
    this.clock = options.clock ?? Date.now;
  }

  get exists(): boolean {
    return this.log.hasTopic(CONSUMER_OFFSETS_TOPIC);
  }

  /** The partition of a group (the topic's actual partition count, which may predate the option). */
  partitionFor(groupId: string): number {
    if (this.partitions === 0 && this.exists) this.partitions = this.log.partitionCount(CONSUMER_OFFSETS_TOPIC);
    return groupPartition(groupId, this.partitions > 0 ? this.partitions : this.configuredPartitions);
  }

  /** Creates the topic on first use (as Kafka does on the first FindCoordinator). */
  ensure(): Promise<void> {
    if (this.partitions > 0 && this.exists) return Promise.resolve();
    this.ensuring ??= (async () => {
      try {
        if (!this.exists) {
          try {
            await this.createTopic(CONSUMER_OFFSETS_TOPIC, { partitions: this.configuredPartitions, config: OFFSETS_TOPIC_CONFIG });
          } catch (e) {
            if (!this.exists) throw e; // created concurrently by another user of the same log: fine
          }
        }
        this.partitions = this.log.partitionCount(CONSUMER_OFFSETS_TOPIC);
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
    await this.log.partition(CONSUMER_OFFSETS_TOPIC, this.partitionFor(groupId)).append(batch);
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
    const log: PartitionLog = this.log.partition(CONSUMER_OFFSETS_TOPIC, this.partitionFor(groupId));
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
    if (!this.exists) return 0;
    this.partitions = this.log.partitionCount(CONSUMER_OFFSETS_TOPIC);
    let count = 0;
    for (let p = 0; p < this.partitions; p++) {
      const log = this.log.partition(CONSUMER_OFFSETS_TOPIC, p);
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
              this.warn(`${CONSUMER_OFFSETS_TOPIC}-${p}: skipping an unreadable control batch at ${batch.baseOffset}: ${String(e)}`);
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
              this.warn(`${CONSUMER_OFFSETS_TOPIC}-${p}: skipping a record with an unknown key`);
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

  /**
   * The topic's state as Kafka's coordinator loads it: committed offsets per group, the last stored
   * metadata of each group, and the offsets of transactions that have not ended (by producer id).
   * A transactional offset is applied at its producer's commit marker and dropped at an abort; a
   * plain tombstone (DeleteGroups, a deleted topic) also drops the pending transactional offsets of
   * that partition, so a transaction committing after a group's deletion does not bring it back.
   */
  load(): LoadedOffsets {
    const offsets: LoadedOffsets['offsets'] = new Map();
    const groups = new Map<string, StoredGroup>();
    const apply = (groupId: string, topic: string, partition: number, value: CommittedOffset | null) => {
      let byTopic = offsets.get(groupId);
      if (value === null) {
        byTopic?.get(topic)?.delete(partition);
        return;
      }
      if (byTopic === undefined) offsets.set(groupId, (byTopic = new Map()));
      let byPartition = byTopic.get(topic);
      if (byPartition === undefined) byTopic.set(topic, (byPartition = new Map()));
      byPartition.set(partition, value);
    };
    // "partition:producer id" -> its transactional offset records there, in order (the marker is per partition)
    const waiting = new Map<string, PendingOffset[]>();
    const records = this.replay(
      (key, value, p, producerId) => {
        if (key.kind === 'group') {
          if (value === null) groups.delete(key.groupId);
          else groups.set(key.groupId, decodeGroupValue(value));
          return;
        }
        const decoded = value === null ? null : decodeOffsetValue(value);
        if (producerId >= 0) {
          const k = `${p}:${producerId}`;
          let list = waiting.get(k);
          if (list === undefined) waiting.set(k, (list = []));
          list.push({ groupId: key.groupId, topic: key.topic, partition: key.partition, value: decoded });
          return;
        }
        apply(key.groupId, key.topic, key.partition, decoded);
        if (decoded === null) {
          for (const [k, list] of waiting) {
            const kept = list.filter((e) => !(e.groupId === key.groupId && e.topic === key.topic && e.partition === key.partition));
            if (kept.length > 0) waiting.set(k, kept);
            else waiting.delete(k);
          }
        }
      },
      (p, producerId, commit) => {
        const k = `${p}:${producerId}`;
        const list = waiting.get(k);
        waiting.delete(k);
        if (commit && list !== undefined) for (const e of list) apply(e.groupId, e.topic, e.partition, e.value);
      },
    );
    const pending = new Map<number, PendingOffset[]>();
    for (const [k, list] of waiting) {
      const producerId = Number(k.slice(k.indexOf(':') + 1));
      pending.set(producerId, [...(pending.get(producerId) ?? []), ...list]);
    }
    return { records, offsets, groups, pending };
  }
}

export interface PendingOffset {
  groupId: string;
  topic: string;
  partition: number;
  /** null: a transactional tombstone. */
  value: CommittedOffset | null;
}

export interface LoadedOffsets {
  /** Records replayed. */
  records: number;
  /** group -> topic -> partition -> committed offset */
  offsets: Map<string, Map<string, Map<number, CommittedOffset>>>;
  groups: Map<string, StoredGroup>;
  /** producer id -> offsets of its transaction that has not ended */
  pending: Map<number, PendingOffset[]>;
}
