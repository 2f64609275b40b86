import { NO_PARTITION_LEADER_EPOCH } from './batch-header.js';
import { CorruptRecordError } from './errors.js';
import { encodeRecordBatch, type RecordBatch } from './record-batch.js';

/**
 * Control records: the transaction markers a transaction coordinator writes to each partition a
 * transaction touched (and Kafka's own leader-change / snapshot records, which we only recognise).
 * A marker is a batch with the control and transactional bits set, holding one record:
 *
 *   key   = version int16 (0) + type int16 (0 = ABORT, 1 = COMMIT)
 *   value = version int16 (0) + coordinatorEpoch int32
 */
export type ControlType = 'abort' | 'commit';

export const CONTROL_TYPE_ABORT = 0;
export const CONTROL_TYPE_COMMIT = 1;
export const CONTROL_TYPE_LEADER_CHANGE = 2;
export const CONTROL_TYPE_SNAPSHOT_HEADER = 3;
export const CONTROL_TYPE_SNAPSHOT_FOOTER = 4;

const KEY_SIZE = 4;
const MARKER_VALUE_SIZE = 6;

export interface ControlBatchInput {
  type: ControlType;
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
  timestamp: number;
  baseOffset?: number;
  partitionLeaderEpoch?: number;
}

export function encodeControlBatch(input: ControlBatchInput): Buffer {
  const key = Buffer.alloc(KEY_SIZE);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(input.type === 'commit' ? CONTROL_TYPE_COMMIT : CONTROL_TYPE_ABORT, 2);
  const value = Buffer.alloc(MARKER_VALUE_SIZE);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(input.coordinatorEpoch, 2);
  return encodeRecordBatch({
    records: [{ key, value, timestamp: input.timestamp }],
    baseOffset: input.baseOffset ?? 0,
    producerId: input.producerId,
    producerEpoch: input.producerEpoch,
    // Markers carry no sequence: they are not part of the producer's idempotent stream.
    baseSequence: -1,
    transactional: true,
    control: true,
    partitionLeaderEpoch: input.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH,
  });
}

export interface TransactionMarker {
  type: ControlType;
  /** The key's type id: 0 (abort) or 1 (commit). */
  typeId: number;
  keyVersion: number;
  valueVersion: number;
  coordinatorEpoch: number;
  offset: number;
  timestamp: number;
  producerId: number;
  producerEpoch: number;
}

/** A control record that is not a transaction marker (leader change, snapshot header/footer, newer types). */
export interface OtherControlRecord {
  type: 'other';
  typeId: number;
  keyVersion: number;
  offset: number;
  timestamp: number;
  value: Buffer | null;
}

export type ControlRecord = TransactionMarker | OtherControlRecord;

/**
 * Reads the one control record of a control batch. A batch that is not a control batch, does not
 * hold exactly one record, or whose key/value are too short or carry a negative version is a
 * CorruptRecordError. Versions above 0 are accepted and their extra bytes ignored, as Java does,
 * so a newer broker's markers still read.
 */
export function readControlRecord(batch: RecordBatch): ControlRecord {
  if (!batch.isControl) throw new CorruptRecordError(`batch at offset ${batch.baseOffset} is not a control batch`);
  const count = batch.recordCount;
  if (count !== 1) throw new CorruptRecordError(`control batch at offset ${batch.baseOffset} holds ${count} records, not 1`);
  let found: ControlRecord | undefined;
  batch.forEachRecord((offset, timestamp, key, value) => {
    if (key === null || key.length < KEY_SIZE) {
      throw new CorruptRecordError(`control record at offset ${offset} has a key of ${key?.length ?? 'null'} bytes, needs ${KEY_SIZE}`);
    }
    const keyVersion = key.readInt16BE(0);
    if (keyVersion < 0) throw new CorruptRecordError(`control record at offset ${offset} has key version ${keyVersion}`);
    const typeId = key.readInt16BE(2);
    if (typeId !== CONTROL_TYPE_ABORT && typeId !== CONTROL_TYPE_COMMIT) {
      found = { type: 'other', typeId, keyVersion, offset, timestamp, value };
      return;
    }
    if (value === null || value.length < MARKER_VALUE_SIZE) {
      throw new CorruptRecordError(
        `transaction marker at offset ${offset} has a value of ${value?.length ?? 'null'} bytes, needs ${MARKER_VALUE_SIZE}`,
      );
    }
    const valueVersion = value.readInt16BE(0);
    if (valueVersion < 0) throw new CorruptRecordError(`transaction marker at offset ${offset} has value version ${valueVersion}`);
    found = {
      type: typeId === CONTROL_TYPE_COMMIT ? 'commit' : 'abort',
      typeId,
      keyVersion,
      valueVersion,
      coordinatorEpoch: value.readInt32BE(2),
      offset,
      timestamp,
      producerId: batch.producerId,
      producerEpoch: batch.producerEpoch,
    };
  });
  if (found === undefined) throw new CorruptRecordError(`control batch at offset ${batch.baseOffset} has no record`);
  return found;
}

export function isTransactionMarker(r: ControlRecord): r is TransactionMarker {
  return r.type !== 'other';
}
