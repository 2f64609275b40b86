import { readInt64, writeInt64 } from '../../records/int64.js';

/**
 * Records of the internal compacted topic `__transaction_state`. Keys are Kafka's
 * TransactionLogKey v0 (version int16 0 + transactionalId string), so compaction keeps the latest
 * state per transactional id; one more key, version 1 ("coordinator"), holds the coordinator's own
 * state (the producer-id block and the coordinator epoch). Values are Tributary's own small,
 * versioned encoding (not Kafka's TransactionLogValue, which nothing outside this coordinator reads):
 *
 *   transaction, version 0:
 *     version int16 | producerId int64 | lastProducerId int64 | producerEpoch int16 |
 *     lastProducerEpoch int16 | timeoutMs int32 | state int8 | txnStartTimestamp int64 |
 *     txnLastUpdateTimestamp int64 | partitions: count int32, { topic string, partition int32 }* |
 *     groups: count int32, { groupId string }*
 *   coordinator, version 0:
 *     version int16 | producerIdBlockEnd int64 (no id at or above it was handed out) | coordinatorEpoch int32
 *
 * Strings are int16 length + UTF-8. A null value (tombstone) removes an expired transactional id.
 */

export type TransactionState =
  | 'Empty'
  | 'Ongoing'
  | 'PrepareCommit'
  | 'PrepareAbort'
  | 'CompleteCommit'
  | 'CompleteAbort'
  | 'Dead'
  | 'PrepareEpochFence';

/** Kafka's TransactionState ids. */
const STATE_IDS: readonly TransactionState[] = [
  'Empty',
  'Ongoing',
  'PrepareCommit',
  'PrepareAbort',
  'CompleteCommit',
  'CompleteAbort',
  'Dead',
  'PrepareEpochFence',
];

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TransactionMetadata {
  transactionalId: string;
  producerId: number;
  /** The producer id before an epoch exhaustion handed out a new one (KIP-360), else -1. */
  lastProducerId: number;
  producerEpoch: number;
  /** The epoch before the last bump, for KIP-360 retries; -1 when unknown. */
  lastProducerEpoch: number;
  timeoutMs: number;
  state: TransactionState;
  partitions: TopicPartition[];
  /** Consumer groups whose offsets the transaction commits (AddOffsetsToTxn). */
  groups: string[];
  /** When the transaction began (its first AddPartitions/AddOffsets); -1 outside a transaction. */
  txnStartTimestamp: number;
  txnLastUpdateTimestamp: number;
}

export interface CoordinatorRecord {
  producerIdBlockEnd: number;
  coordinatorEpoch: number;
}

export type StateKey = { kind: 'transaction'; transactionalId: string } | { kind: 'coordinator' };

const KEY_TRANSACTION = 0;
const KEY_COORDINATOR = 1;
const VALUE_VERSION = 0;

function stringSize(s: string): number {
  return 2 + Buffer.byteLength(s, 'utf8');
}

function writeString(buf: Buffer, at: number, s: string): number {
  const n = buf.write(s, at + 2, 'utf8');
  buf.writeInt16BE(n, at);
  return at + 2 + n;
}

function readString(buf: Buffer, at: number): [string, number] {
  const n = buf.readInt16BE(at);
  if (n < 0 || at + 2 + n > buf.length) throw new Error(`bad string length ${n} at ${at}`);
  return [buf.toString('utf8', at + 2, at + 2 + n), at + 2 + n];
}

export function encodeTransactionKey(transactionalId: string): Buffer {
  const buf = Buffer.alloc(2 + stringSize(transactionalId));
  buf.writeInt16BE(KEY_TRANSACTION, 0);
  writeString(buf, 2, transactionalId);
  return buf;
}

export function encodeCoordinatorKey(): Buffer {
  const buf = Buffer.alloc(2);
  buf.writeInt16BE(KEY_COORDINATOR, 0);
  return buf;
}

export function decodeKey(buf: Buffer): StateKey {
  const version = buf.readInt16BE(0);
  if (version === KEY_TRANSACTION) return { kind: 'transaction', transactionalId: readString(buf, 2)[0] };
  if (version === KEY_COORDINATOR) return { kind: 'coordinator' };
  throw new Error(`unknown __transaction_state key version ${version}`);
}

export function encodeTransactionValue(m: TransactionMetadata): Buffer {
  let size = 2 + 8 + 8 + 2 + 2 + 4 + 1 + 8 + 8 + 4 + 4;
  for (const tp of m.partitions) size += stringSize(tp.topic) + 4;
  for (const g of m.groups) size += stringSize(g);
  const buf = Buffer.alloc(size);
  let p = 0;
  buf.writeInt16BE(VALUE_VERSION, p);
  p += 2;
  writeInt64(buf, p, m.producerId);
  p += 8;
  writeInt64(buf, p, m.lastProducerId);
  p += 8;
  buf.writeInt16BE(m.producerEpoch, p);
  p += 2;
  buf.writeInt16BE(m.lastProducerEpoch, p);
  p += 2;
  buf.writeInt32BE(m.timeoutMs, p);
  p += 4;
  buf.writeInt8(STATE_IDS.indexOf(m.state), p);
  p += 1;
  writeInt64(buf, p, m.txnStartTimestamp);
  p += 8;
  writeInt64(buf, p, m.txnLastUpdateTimestamp);
  p += 8;
  buf.writeInt32BE(m.partitions.length, p);
  p += 4;
  for (const tp of m.partitions) {
    p = writeString(buf, p, tp.topic);
    buf.writeInt32BE(tp.partition, p);
    p += 4;
  }
  buf.writeInt32BE(m.groups.length, p);
  p += 4;
  for (const g of m.groups) p = writeString(buf, p, g);
  return p === buf.length ? buf : buf.subarray(0, p);
}

export function decodeTransactionValue(transactionalId: string, buf: Buffer): TransactionMetadata {
  let p = 0;
  const version = buf.readInt16BE(p);
  if (version !== VALUE_VERSION) throw new Error(`unknown transaction value version ${version}`);
  p += 2;
  const producerId = readInt64(buf, p);
  p += 8;
  const lastProducerId = readInt64(buf, p);
  p += 8;
  const producerEpoch = buf.readInt16BE(p);
  p += 2;
  const lastProducerEpoch = buf.readInt16BE(p);
  p += 2;
  const timeoutMs = buf.readInt32BE(p);
  p += 4;
  const state = STATE_IDS[buf.readInt8(p)];
  if (state === undefined) throw new Error(`unknown transaction state id ${buf.readInt8(p)}`);
  p += 1;
  const txnStartTimestamp = readInt64(buf, p);
  p += 8;
  const txnLastUpdateTimestamp = readInt64(buf, p);
  p += 8;
  const partitions: TopicPartition[] = [];
  const nParts = buf.readInt32BE(p);
  p += 4;
  for (let i = 0; i < nParts; i++) {
    const [topic, q] = readString(buf, p);
    partitions.push({ topic, partition: buf.readInt32BE(q) });
    p = q + 4;
  }
  const groups: string[] = [];
  const nGroups = buf.readInt32BE(p);
  p += 4;
  for (let i = 0; i < nGroups; i++) {
    const [g, q] = readString(buf, p);
    groups.push(g);
    p = q;
  }
  return {
    transactionalId,
    producerId,
    lastProducerId,
    producerEpoch,
    lastProducerEpoch,
    timeoutMs,
    state,
    partitions,
    groups,
    txnStartTimestamp,
    txnLastUpdateTimestamp,
  };
}

export function encodeCoordinatorValue(r: CoordinatorRecord): Buffer {
  const buf = Buffer.alloc(14);
  buf.writeInt16BE(VALUE_VERSION, 0);
  writeInt64(buf, 2, r.producerIdBlockEnd);
  buf.writeInt32BE(r.coordinatorEpoch, 10);
  return buf;
}

export function decodeCoordinatorValue(buf: Buffer): CoordinatorRecord {
  const version = buf.readInt16BE(0);
  if (version !== VALUE_VERSION) throw new Error(`unknown coordinator value version ${version}`);
  return { producerIdBlockEnd: readInt64(buf, 2), coordinatorEpoch: buf.readInt32BE(10) };
}
