import { encodeRecordBatch } from '../../records/record-batch.js';
import { isTributaryError } from '../../records/errors.js';
import { forEachCommittedRecord } from '../committed-records.js';
import { StorageError, TransactionError, UnknownTopicOrPartitionError } from '../errors.js';
import type { LogManager } from '../log-manager.js';
import type { LogLogger } from '../logger.js';
import type { PartitionLog } from '../partition-log.js';
import {
  decodeCoordinatorValue,
  decodeKey,
  decodeTransactionValue,
  encodeCoordinatorKey,
  encodeCoordinatorValue,
  encodeTransactionKey,
  encodeTransactionValue,
  type TopicPartition,
  type TransactionMetadata,
  type TransactionState,
} from './state-codec.js';

import { CONSUMER_OFFSETS_TOPIC, groupPartition } from '../consumer-offsets.js';

export const TRANSACTION_STATE_TOPIC = '__transaction_state';
export { CONSUMER_OFFSETS_TOPIC };
/** Kafka's producer-id blocks: ids are reserved (durably) 1000 at a time. */
export const PRODUCER_ID_BLOCK_SIZE = 1000;
const MAX_EPOCH = 0x7fff;

export interface ProducerIdAndEpoch {
  producerId: number;
  producerEpoch: number;
}

/** What a transaction-completion listener learns (the group-offset store applies or drops pending offsets). */
export interface TransactionCompletion {
  transactionalId: string;
  producerId: number;
  /** The epoch its markers carry (bumped when the coordinator aborted it on timeout or fencing). */
  producerEpoch: number;
  committed: boolean;
  partitions: TopicPartition[];
  /** Groups added with addOffsets: their transactional offset commits become visible (commit) or are dropped (abort). */
  groups: string[];
}

export type TransactionListener = (completion: TransactionCompletion) => void;

export interface TransactionDescription {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  state: TransactionState;
  timeoutMs: number;
  txnStartTimestamp: number;
  partitions: TopicPartition[];
  groups: string[];
}

export interface TransactionCoordinatorOptions {
  /** Kafka's transaction.max.timeout.ms: the largest timeout a producer may ask for. Default 15 min. */
  maxTransactionTimeoutMs?: number;
  /**
   * Kafka's transaction.abort.timed.out.transaction.cleanup.interval.ms: how often timed-out
   * transactions are aborted (and stuck commits retried). Default 10 s; 0 disables the timer.
   */
  abortTimedOutTransactionsIntervalMs?: number;
  /** Kafka's transactional.id.expiration.ms: idle transactional ids are forgotten. Default 7 days. */
  transactionalIdExpirationMs?: number;
  /**
   * The partition holding a consumer group's offsets, which gets a marker when a transaction that
   * added the group's offsets ends. Default: `__consumer_offsets` partition abs(javaHash(groupId)) %
   * partitions when that topic exists (Kafka's rule), else none.
   */
  offsetsPartitionFor?: (groupId: string) => TopicPartition | null;
  /** Registered before recovery, so it also hears about transactions completed while opening. */
  onTransactionComplete?: TransactionListener;
  logger?: LogLogger;
  clock?: () => number;
}

interface Entry {
  meta: TransactionMetadata;
  /** An operation on this transactional id is writing; others get CONCURRENT_TRANSACTIONS. */
  pending: boolean;
}

const DEFAULT_MAX_TIMEOUT_MS = 15 * 60 * 1000;
const DEFAULT_ABORT_CHECK_MS = 10_000;
const DEFAULT_ID_EXPIRATION_MS = 7 * 24 * 60 * 60 * 1000;

function isEpochExhausted(epoch: number): boolean {
  return epoch >= MAX_EPOCH - 1;
}

function tpKey(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`;
}

function fail(code: ConstructorParameters<typeof TransactionError>[0], message: string): never {
  throw new TransactionError(code, message);
}

/**
 * Kafka's transaction coordinator over the embedded log: producer ids (allocated in durable blocks,
 * never reused), epochs and fencing (KIP-360 included), the per-transactional-id state machine
 * (Empty -> Ongoing -> PrepareCommit/PrepareAbort -> CompleteCommit/CompleteAbort), markers written
 * to every partition of a transaction (and to the offsets partition of groups added with
 * addOffsets), timeouts that abort and fence, and its state in the compacted topic
 * `__transaction_state`, replayed by open(), which also finishes commits and aborts a crash
 * interrupted. Both the engine's in-process runtime and the broker's transaction APIs call it; one
 * per LogManager (LogManager.transactionCoordinator()).
 *
 * Errors are TransactionErrors with Kafka's names (see each method). Each state change is written
 * to `__transaction_state` before it takes effect, as durable as any append under the log's fsync
 * policy.
 */
export class TransactionCoordinator {
  private readonly log: LogManager;
  private readonly logger: LogLogger;
  private readonly clock: () => number;
  private readonly maxTimeoutMs: number;
  private readonly idExpirationMs: number;
  private readonly offsetsPartitionFor: (groupId: string) => TopicPartition | null;
  private readonly txns = new Map<string, Entry>();
  private readonly listeners = new Set<TransactionListener>();
  private nextProducerId = 0;
  private producerIdBlockEnd = 0;
  private idChain: Promise<unknown> = Promise.resolve();
  private _coordinatorEpoch = 0;
  private timer: NodeJS.Timeout | null = null;
  private checking = false;
  private closed = false;

  private constructor(log: LogManager, options: TransactionCoordinatorOptions) {
    this.log = log;
    this.logger = options.logger ?? { info() {}, warn() {} };
    this.clock = options.clock ?? Date.now;
    this.maxTimeoutMs = options.maxTransactionTimeoutMs ?? DEFAULT_MAX_TIMEOUT_MS;
    this.idExpirationMs = options.transactionalIdExpirationMs ?? DEFAULT_ID_EXPIRATION_MS;
    this.offsetsPartitionFor = options.offsetsPartitionFor ?? ((groupId) => defaultOffsetsPartition(log, groupId));
    if (options.onTransactionComplete !== undefined) this.listeners.add(options.onTransactionComplete);
  }

  /**
   * Creates `__transaction_state` if needed, replays it, takes a new coordinator epoch, completes
   * the transactions that were in PrepareCommit / PrepareAbort (their markers re-written: markers
   * for producers with nothing open change nothing), and starts the timeout check.
   */
  static async open(log: LogManager, options: TransactionCoordinatorOptions = {}): Promise<TransactionCoordinator> {
    const c = new TransactionCoordinator(log, options);
    if (!log.hasTopic(TRANSACTION_STATE_TOPIC)) {
      await log.createTopic(TRANSACTION_STATE_TOPIC, {
        partitions: 1,
        // Kafka's transaction.state.log.* defaults: compacted, 100 MB segments.
        config: { 'cleanup.policy': 'compact', 'segment.bytes': 100 * 1024 * 1024, 'min.compaction.lag.ms': 0 },
      });
    }
    const previousEpoch = c.replay();
    c._coordinatorEpoch = previousEpoch + 1;
    c.nextProducerId = c.producerIdBlockEnd;
    await c.writeCoordinatorRecord();
    for (const entry of c.txns.values()) {
      if (entry.meta.state === 'PrepareCommit' || entry.meta.state === 'PrepareAbort') {
        c.logger.info(`transaction ${entry.meta.transactionalId}: completing ${entry.meta.state} after restart`);
        entry.pending = true;
        try {
          await c.finish(entry);
        } catch (e) {
          c.logger.warn(`transaction ${entry.meta.transactionalId}: cannot complete yet (${String(e)}); will retry`);
        } finally {
          entry.pending = false;
        }
      }
    }
    const interval = options.abortTimedOutTransactionsIntervalMs ?? DEFAULT_ABORT_CHECK_MS;
    if (interval > 0) {
      c.timer = setInterval(() => {
        if (c.checking || c.closed) return;
        c.checking = true;
        c.abortTimedOutTransactions()
          .catch((e: unknown) => c.logger.warn(`transaction timeout check failed: ${String(e)}`))
          .finally(() => (c.checking = false));
      }, interval);
      c.timer.unref();
    }
    return c;
  }

  /** Increases with every open: stamped on markers, so a partition rejects markers of an older coordinator. */
  get coordinatorEpoch(): number {
    return this._coordinatorEpoch;
  }

  private get statePartition(): PartitionLog {
    return this.log.partition(TRANSACTION_STATE_TOPIC, 0);
  }

  /** Returns the coordinator epoch stored before this open (0 when none). */
  private replay(): number {
    const p = this.statePartition;
    let epoch = 0;
    let next = p.logStartOffset;
    while (next < p.highWatermark) {
      const r = p.read(next, { maxBytes: 4 * 1024 * 1024 });
      if (r.records.length === 0) break;
      next = forEachCommittedRecord(
        r,
        (_offset, _ts, key, value) => {
          if (key === null) return;
          let k;
          try {
            k = decodeKey(key);
          } catch (e) {
            this.logger.warn(`${TRANSACTION_STATE_TOPIC}: skipping a record: ${String(e)}`);
            return;
          }
          if (k.kind === 'coordinator') {
            if (value === null) return;
            const v = decodeCoordinatorValue(value);
            this.producerIdBlockEnd = Math.max(this.producerIdBlockEnd, v.producerIdBlockEnd);
            epoch = Math.max(epoch, v.coordinatorEpoch);
            return;
          }
          if (value === null) {
            this.txns.delete(k.transactionalId);
            return;
          }
          const meta = decodeTransactionValue(k.transactionalId, value);
          this.txns.set(k.transactionalId, { meta, pending: false });
          // Ids handed out before a crash may have been written to no coordinator record yet: stay above them.
          this.producerIdBlockEnd = Math.max(this.producerIdBlockEnd, meta.producerId + 1);
        },
        { fromOffset: next },
      );
    }
    return epoch;
  }

  private async append(key: Buffer, value: Buffer | null): Promise<void> {
    if (this.closed) fail('COORDINATOR_NOT_AVAILABLE', 'the transaction coordinator is closed');
    await this.statePartition.append(encodeRecordBatch({ records: [{ key, value, timestamp: this.clock() }] }));
  }

  private writeCoordinatorRecord(): Promise<void> {
    return this.append(
      encodeCoordinatorKey(),
      encodeCoordinatorValue({ producerIdBlockEnd: this.producerIdBlockEnd, coordinatorEpoch: this._coordinatorEpoch }),
    );
  }

  private persist(meta: TransactionMetadata): Promise<void> {
    return this.append(encodeTransactionKey(meta.transactionalId), encodeTransactionValue(meta));
  }

  /** A new producer id; a new block is reserved durably before any id from it is handed out. */
  private allocateProducerId(): Promise<number> {
    const run = async (): Promise<number> => {
      if (this.nextProducerId >= this.producerIdBlockEnd) {
        this.producerIdBlockEnd = this.nextProducerId + PRODUCER_ID_BLOCK_SIZE;
        await this.writeCoordinatorRecord();
      }
      return this.nextProducerId++;
    };
    const next = this.idChain.then(run, run);
    this.idChain = next.catch(() => {});
    return next;
  }

  // -------------------------------------------------------------------------------------------
  // InitProducerId

  /**
   * Kafka's InitProducerId. Without a transactional id: a fresh producer id, epoch 0 (an idempotent
   * producer). With one: the id's producer id with its epoch bumped (a new id on first use, or when
   * the epoch is exhausted), which fences every older producer of that id. A transaction the old
   * epoch left open is aborted first (its markers carry the bumped epoch, fencing the old producer
   * in each partition) and the bumped epoch is returned. `expected` is KIP-360's current producer
   * id and epoch, sent by a producer that wants to keep its id after an error: a mismatch is
   * PRODUCER_FENCED; a retry of a bump already done returns the same epoch.
   *
   * Errors: INVALID_REQUEST (empty id), INVALID_TRANSACTION_TIMEOUT, PRODUCER_FENCED,
   * CONCURRENT_TRANSACTIONS (another operation on the id is under way).
   */
  async initProducerId(transactionalId: string | null, transactionTimeoutMs: number, expected?: ProducerIdAndEpoch): Promise<ProducerIdAndEpoch> {
    if (transactionalId === null) return { producerId: await this.allocateProducerId(), producerEpoch: 0 };
    if (typeof transactionalId !== 'string' || transactionalId === '') fail('INVALID_REQUEST', 'transactional id must be a non-empty string');
    if (!Number.isInteger(transactionTimeoutMs) || transactionTimeoutMs <= 0 || transactionTimeoutMs > this.maxTimeoutMs) {
      fail('INVALID_TRANSACTION_TIMEOUT', `transaction timeout ${transactionTimeoutMs} ms is not in (0, ${this.maxTimeoutMs}] (transaction.max.timeout.ms)`);
    }
    let entry = this.txns.get(transactionalId);
    if (entry !== undefined && entry.pending) fail('CONCURRENT_TRANSACTIONS', `transaction ${transactionalId} has an operation under way`);
    if (entry === undefined) {
      const producerId = await this.allocateProducerId();
      entry = this.txns.get(transactionalId);
      if (entry === undefined) {
        entry = {
          meta: {
            transactionalId,
            producerId,
            lastProducerId: -1,
            producerEpoch: -1,
            lastProducerEpoch: -1,
            timeoutMs: transactionTimeoutMs,
            state: 'Empty',
            partitions: [],
            groups: [],
            txnStartTimestamp: -1,
            txnLastUpdateTimestamp: this.clock(),
          },
          pending: false,
        };
        this.txns.set(transactionalId, entry);
      } else if (entry.pending) {
        fail('CONCURRENT_TRANSACTIONS', `transaction ${transactionalId} has an operation under way`);
      }
    }
    const meta = entry.meta;
    if (expected !== undefined) {
      const valid =
        meta.producerEpoch === -1 ||
        expected.producerId === meta.producerId ||
        (expected.producerId === meta.lastProducerId && isEpochExhausted(expected.producerEpoch));
      if (!valid) fail('PRODUCER_FENCED', `producer ${expected.producerId} epoch ${expected.producerEpoch} is not the current producer of ${transactionalId}`);
      // An open transaction belongs to the current epoch: a bump that was already answered would
      // have left none, so an older epoch is a zombie, not a retry.
      if (meta.state === 'Ongoing' && expected.producerId === meta.producerId && expected.producerEpoch !== meta.producerEpoch) {
        fail('PRODUCER_FENCED', `producer ${expected.producerId} epoch ${expected.producerEpoch} of ${transactionalId} is stale (current ${meta.producerEpoch})`);
      }
    }
    entry.pending = true;
    try {
      let bump = true;
      if (meta.state === 'Ongoing') {
        // Fence the old epoch and abort what it left open.
        await this.prepareAbortWithBump(entry);
        await this.finish(entry);
        bump = false;
      } else if (meta.state === 'PrepareCommit' || meta.state === 'PrepareAbort') {
        // Markers of an earlier end could not all be written: finish it first.
        await this.finish(entry);
      } else if (meta.state === 'Dead' || meta.state === 'PrepareEpochFence') {
        fail('CONCURRENT_TRANSACTIONS', `transaction ${transactionalId} is ${meta.state}`);
      }
      const m = entry.meta;
      let producerId = m.producerId;
      let lastProducerId = m.lastProducerId;
      let epoch = m.producerEpoch;
      let lastEpoch = m.lastProducerEpoch;
      if (bump) {
        if (isEpochExhausted(m.producerEpoch)) {
          lastProducerId = m.producerId;
          lastEpoch = m.producerEpoch;
          producerId = await this.allocateProducerId();
          epoch = 0;
        } else if (expected === undefined || m.producerEpoch === -1 || expected.producerEpoch === m.producerEpoch) {
          lastEpoch = m.producerEpoch;
          epoch = m.producerEpoch + 1;
        } else if (expected.producerEpoch === m.lastProducerEpoch) {
          // A retry of a bump whose answer the producer never got: same epoch again.
        } else {
          fail('PRODUCER_FENCED', `producer ${expected.producerId} epoch ${expected.producerEpoch} of ${transactionalId} is stale (current ${m.producerEpoch})`);
        }
      }
      // A fresh producer instance (no expected id and epoch) forgets the previous epoch, as Kafka
      // does: only a KIP-360 caller may later retry with it; anyone else holding it is fenced.
      if (expected === undefined) lastEpoch = -1;
      const next: TransactionMetadata = {
        ...m,
        producerId,
        lastProducerId,
        producerEpoch: epoch,
        lastProducerEpoch: lastEpoch,
        timeoutMs: transactionTimeoutMs,
        state: 'Empty',
        partitions: [],
        groups: [],
        txnStartTimestamp: -1,
        txnLastUpdateTimestamp: this.clock(),
      };
      await this.persist(next);
      entry.meta = next;
      return { producerId, producerEpoch: epoch };
    } finally {
      entry.pending = false;
    }
  }

  // -------------------------------------------------------------------------------------------
  // AddPartitionsToTxn / AddOffsetsToTxn

  /** Checks a client's producer id and epoch against the transactional id's (Kafka's order of checks). */
  private current(transactionalId: string, producerId: number, producerEpoch: number): Entry {
    if (typeof transactionalId !== 'string' || transactionalId === '') fail('INVALID_REQUEST', 'transactional id must be a non-empty string');
    const entry = this.txns.get(transactionalId);
    if (entry === undefined || entry.meta.state === 'Dead') {
      fail('INVALID_PRODUCER_ID_MAPPING', `transactional id ${transactionalId} has no producer id (call initProducerId first)`);
    }
    if (entry.meta.producerId !== producerId) {
      fail('INVALID_PRODUCER_ID_MAPPING', `producer ${producerId} is not the producer of ${transactionalId} (${entry.meta.producerId} is)`);
    }
    if (entry.meta.producerEpoch !== producerEpoch) {
      fail('PRODUCER_FENCED', `producer ${producerId} epoch ${producerEpoch} of ${transactionalId} was fenced by epoch ${entry.meta.producerEpoch}`);
    }
    if (entry.pending) fail('CONCURRENT_TRANSACTIONS', `transaction ${transactionalId} has an operation under way`);
    return entry;
  }

  /**
   * Kafka's AddPartitionsToTxn: adds partitions to the producer's transaction (starting it: Ongoing).
   * Errors: INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED, CONCURRENT_TRANSACTIONS (also while a
   * commit or abort is being completed), UNKNOWN_TOPIC_OR_PARTITION.
   */
  async addPartitions(transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly TopicPartition[]): Promise<void> {
    const entry = this.current(transactionalId, producerId, producerEpoch);
    for (const tp of partitions) this.log.partition(tp.topic, tp.partition);
    await this.addToTransaction(entry, partitions, null);
  }

  /**
   * Kafka's AddOffsetsToTxn: the group's offsets will be committed by this transaction
   * (TxnOffsetCommit) - its offsets partition gets the transaction's marker, and listeners hear of
   * the group when the transaction ends. Errors as addPartitions.
   */
  async addOffsets(transactionalId: string, producerId: number, producerEpoch: number, groupId: string): Promise<void> {
    if (typeof groupId !== 'string' || groupId === '') fail('INVALID_REQUEST', 'group id must be a non-empty string');
    const entry = this.current(transactionalId, producerId, producerEpoch);
    const tp = this.offsetsPartitionFor(groupId);
    await this.addToTransaction(entry, tp === null ? [] : [tp], groupId);
  }

  private async addToTransaction(entry: Entry, partitions: readonly TopicPartition[], groupId: string | null): Promise<void> {
    const m = entry.meta;
    if (m.state === 'PrepareCommit' || m.state === 'PrepareAbort') {
      fail('CONCURRENT_TRANSACTIONS', `transaction ${m.transactionalId} is completing (${m.state})`);
    }
    const have = new Set(m.partitions.map(tpKey));
    const added = partitions.filter((tp) => !have.has(tpKey(tp)));
    const newGroup = groupId !== null && !m.groups.includes(groupId);
    if (m.state === 'Ongoing' && added.length === 0 && !newGroup) return;
    const now = this.clock();
    const next: TransactionMetadata = {
      ...m,
      state: 'Ongoing',
      partitions: [...m.partitions, ...dedupe(added)],
      groups: newGroup ? [...m.groups, groupId] : m.groups,
      txnStartTimestamp: m.state === 'Ongoing' ? m.txnStartTimestamp : now,
      txnLastUpdateTimestamp: now,
    };
    entry.pending = true;
    try {
      await this.persist(next);
      entry.meta = next;
    } finally {
      entry.pending = false;
    }
  }

  /**
   * For the broker's produce path (KIP-890's check): throws unless `producerId`/`producerEpoch` is
   * the current producer of `transactionalId` with `partition` in its ongoing transaction
   * (INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED, INVALID_TXN_STATE).
   */
  verifyPartition(transactionalId: string, producerId: number, producerEpoch: number, partition: TopicPartition): void {
    const entry = this.txns.get(transactionalId);
    if (entry === undefined || entry.meta.producerId !== producerId) {
      fail('INVALID_PRODUCER_ID_MAPPING', `producer ${producerId} is not the producer of ${transactionalId}`);
    }
    if (entry.meta.producerEpoch !== producerEpoch) fail('PRODUCER_FENCED', `producer ${producerId} epoch ${producerEpoch} of ${transactionalId} was fenced`);
    if (entry.meta.state !== 'Ongoing' || !entry.meta.partitions.some((tp) => tp.topic === partition.topic && tp.partition === partition.partition)) {
      fail('INVALID_TXN_STATE', `${partition.topic}-${partition.partition} is not in the ongoing transaction of ${transactionalId}`);
    }
  }

  // -------------------------------------------------------------------------------------------
  // EndTxn

  /**
   * Kafka's EndTxn: PrepareCommit (or PrepareAbort) is written, then a marker to every partition of
   * the transaction, then CompleteCommit (CompleteAbort); resolves when all of that is done and the
   * listeners were told. Retrying an end that completed succeeds; the other outcome, or ending with
   * no transaction open, is INVALID_TXN_STATE. Errors also: INVALID_PRODUCER_ID_MAPPING,
   * PRODUCER_FENCED, CONCURRENT_TRANSACTIONS. If a marker cannot be written (a disk error) the
   * transaction stays prepared and is completed by the timeout check or the next open.
   */
  async endTxn(transactionalId: string, producerId: number, producerEpoch: number, commit: boolean): Promise<void> {
    const entry = this.current(transactionalId, producerId, producerEpoch);
    const m = entry.meta;
    const wanted = commit ? 'commit' : 'abort';
    switch (m.state) {
      case 'Ongoing':
        break;
      case 'CompleteCommit':
        if (commit) return;
        fail('INVALID_TXN_STATE', `transaction ${transactionalId} committed; cannot ${wanted} it`);
      // falls through (unreachable)
      case 'CompleteAbort':
        if (!commit) return;
        fail('INVALID_TXN_STATE', `transaction ${transactionalId} aborted; cannot ${wanted} it`);
      // falls through (unreachable)
      case 'PrepareCommit':
      case 'PrepareAbort': {
        if ((m.state === 'PrepareCommit') !== commit) fail('INVALID_TXN_STATE', `transaction ${transactionalId} is ${m.state}; cannot ${wanted} it`);
        entry.pending = true;
        try {
          await this.finish(entry);
        } finally {
          entry.pending = false;
        }
        return;
      }
      default:
        fail('INVALID_TXN_STATE', `transaction ${transactionalId} is ${m.state}: there is no transaction to ${wanted}`);
    }
    const prepared: TransactionMetadata = { ...m, state: commit ? 'PrepareCommit' : 'PrepareAbort', txnLastUpdateTimestamp: this.clock() };
    entry.pending = true;
    try {
      await this.persist(prepared);
      entry.meta = prepared;
      await this.finish(entry);
    } finally {
      entry.pending = false;
    }
  }

  private async prepareAbortWithBump(entry: Entry): Promise<void> {
    const m = entry.meta;
    const exhausted = isEpochExhausted(m.producerEpoch);
    const prepared: TransactionMetadata = {
      ...m,
      producerEpoch: exhausted ? m.producerEpoch : m.producerEpoch + 1,
      lastProducerEpoch: exhausted ? m.lastProducerEpoch : m.producerEpoch,
      state: 'PrepareAbort',
      txnLastUpdateTimestamp: this.clock(),
    };
    await this.persist(prepared);
    entry.meta = prepared;
  }

  /** Writes the markers of a prepared transaction, then its Complete state; tells the listeners. */
  private async finish(entry: Entry): Promise<void> {
    const m = entry.meta;
    const commit = m.state === 'PrepareCommit';
    const type = commit ? 'commit' : 'abort';
    const partitions = dedupe([...m.partitions, ...m.groups.map((g) => this.offsetsPartitionFor(g)).filter((tp) => tp !== null)]);
    await Promise.all(
      partitions.map(async (tp) => {
        let log: PartitionLog;
        try {
          log = this.log.partition(tp.topic, tp.partition);
        } catch (e) {
          if (e instanceof UnknownTopicOrPartitionError) {
            this.logger.warn(`transaction ${m.transactionalId}: ${tp.topic}-${tp.partition} is gone; no marker written there`);
            return;
          }
          throw e;
        }
        await log.appendTxnMarker({ producerId: m.producerId, producerEpoch: m.producerEpoch, type, coordinatorEpoch: this._coordinatorEpoch });
      }),
    );
    const completed: TransactionMetadata = {
      ...m,
      state: commit ? 'CompleteCommit' : 'CompleteAbort',
      partitions: [],
      groups: [],
      txnLastUpdateTimestamp: this.clock(),
    };
    await this.persist(completed);
    entry.meta = completed;
    const event: TransactionCompletion = {
      transactionalId: m.transactionalId,
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      committed: commit,
      partitions: m.partitions,
      groups: m.groups,
    };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (e) {
        this.logger.warn(`transaction completion listener failed: ${String(e)}`);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // timeouts

  /**
   * Aborts every Ongoing transaction older than its timeout, bumping its epoch first so the producer
   * that left it open is fenced (Kafka's abortTimedOutTransactions); also retries prepared
   * transactions whose markers could not be written, and forgets transactional ids idle for
   * transactional.id.expiration.ms. Runs on a timer; tests call it directly. Returns the ids aborted.
   */
  async abortTimedOutTransactions(now = this.clock()): Promise<string[]> {
    const aborted: string[] = [];
    for (const entry of [...this.txns.values()]) {
      if (this.closed) break;
      if (entry.pending) continue;
      const m = entry.meta;
      try {
        if (m.state === 'Ongoing' && m.txnStartTimestamp + m.timeoutMs < now) {
          entry.pending = true;
          try {
            this.logger.info(`transaction ${m.transactionalId} timed out after ${m.timeoutMs} ms; aborting it`);
            await this.prepareAbortWithBump(entry);
            await this.finish(entry);
            aborted.push(m.transactionalId);
          } finally {
            entry.pending = false;
          }
        } else if (m.state === 'PrepareCommit' || m.state === 'PrepareAbort') {
          entry.pending = true;
          try {
            await this.finish(entry);
          } finally {
            entry.pending = false;
          }
        } else if (
          (m.state === 'Empty' || m.state === 'CompleteCommit' || m.state === 'CompleteAbort') &&
          m.txnLastUpdateTimestamp + this.idExpirationMs < now
        ) {
          entry.pending = true;
          try {
            await this.append(encodeTransactionKey(m.transactionalId), null);
            this.txns.delete(m.transactionalId);
          } finally {
            entry.pending = false;
          }
        }
      } catch (e) {
        if (e instanceof StorageError || (isTributaryError(e) && e.code === 'COORDINATOR_NOT_AVAILABLE')) {
          this.logger.warn(`transaction ${m.transactionalId}: ${e.message}`);
          continue;
        }
        throw e;
      }
    }
    return aborted;
  }

  // -------------------------------------------------------------------------------------------
  // listeners, inspection, close

  /** Calls `listener` whenever a transaction completes (commit or abort); returns the unsubscribe function. */
  onTransactionComplete(listener: TransactionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Kafka's DescribeTransactions for one id; null when unknown. */
  describe(transactionalId: string): TransactionDescription | null {
    const entry = this.txns.get(transactionalId);
    if (entry === undefined) return null;
    const m = entry.meta;
    return {
      transactionalId,
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      state: m.state,
      timeoutMs: m.timeoutMs,
      txnStartTimestamp: m.txnStartTimestamp,
      partitions: m.partitions.map((tp) => ({ ...tp })),
      groups: [...m.groups],
    };
  }

  /** Kafka's ListTransactions. */
  list(): TransactionDescription[] {
    return [...this.txns.keys()].sort().map((id) => this.describe(id)!);
  }

  /** Stops the timeout check; operations after this fail with COORDINATOR_NOT_AVAILABLE. Waits for none. */
  close(): void {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}

function dedupe(partitions: readonly TopicPartition[]): TopicPartition[] {
  const seen = new Set<string>();
  const out: TopicPartition[] = [];
  for (const tp of partitions) {
    const k = tpKey(tp);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ topic: tp.topic, partition: tp.partition });
  }
  return out;
}

/** Kafka's group -> __consumer_offsets partition: Utils.abs(groupId.hashCode) % partitions. */
export function defaultOffsetsPartition(log: LogManager, groupId: string): TopicPartition | null {
  const n = log.partitionCount(CONSUMER_OFFSETS_TOPIC);
  if (n <= 0) return null;
  return { topic: CONSUMER_OFFSETS_TOPIC, partition: groupPartition(groupId, n) };
}
