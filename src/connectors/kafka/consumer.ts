import type { ConnectionPool } from '@platformatic/kafka';
import { ApiKeys } from '../../protocol/api-keys.js';
import { BATCH_LENGTH, LOG_OVERHEAD } from '../../records/batch-header.js';
import { lastOffsetIn } from '../embedded/consumer.js';
import { AssignedPartitions, type AssignedPartition } from '../assigned-partitions.js';
import { tpKey, type ConsumerOptions, type FetchedPartition, type LogConsumer, type PartitionOffset, type TopicPartition } from '../log.js';
import type { BrokerAddress, KafkaClient } from './client.js';
import { CODES, KafkaResponseError, STALE_ROUTING, isRetriable, kafkaNameOf } from './errors.js';

interface Assigned extends AssignedPartition {
  /** A Fetch for this partition is under way (its answer is applied only if the position is unchanged). */
  inFlight: boolean;
}

/** One Fetch to one leader, under way or answered and not yet handed out. */
interface Pending {
  readonly done: Promise<void>;
  settled: boolean;
  result: FetchedPartition[];
  error: unknown;
}

/**
 * Reads an explicit assignment from a Kafka cluster with Fetch requests (v12: topic names, no
 * fetch sessions), one per partition leader, each on this consumer's own connections. Every
 * partition's records come back as the broker sent them: whole RecordBatch v2 bytes (a batch
 * cut at the end of the response by the size limit is dropped and fetched again next time).
 *
 * `fetch(maxWaitMs)` sends a Fetch to every leader that has none under way (Kafka's max_wait_ms
 * does the waiting: no polling loop), returns as soon as any answers with data, or when the wait
 * ends or `wakeup()` is called; answers that come later are handed out by the next fetch, if the
 * partition's position has not moved meanwhile (seek/assign). With `longPollMs` (Kafka's
 * fetch.max.wait.ms) every Fetch may wait at the broker that long even when `fetch()` waits less:
 * a caller polling every 100 ms with nothing to read then sends one Fetch per long poll, not one
 * per call.
 *
 * An answer is applied only to a partition still assigned at the position it was fetched from:
 * an answer that outlives its assignment (a rebalance between the request and the answer) is
 * dropped when the partition is gone or was assigned at another offset — the records are the log's
 * records at that offset either way, so a match is safe.
 */
export class KafkaConsumer extends AssignedPartitions<Assigned> implements LogConsumer {
  private readonly pending = new Map<number, Pending>();
  private pool: ConnectionPool;
  private wake: (() => void) | null = null;
  private rotate = 0;
  private closed = false;
  /** Bumped when under-way fetches are abandoned: their late answers must not touch the partitions' state. */
  private generation = 0;

  constructor(
    private readonly client: KafkaClient,
    /** ListOffsets(earliest), for positions that retention removed. */
    private readonly earliest: (tps: readonly TopicPartition[]) => Promise<number[]>,
    options: ConsumerOptions = {},
    /** The least a Fetch waits at the broker for data (Kafka's fetch.max.wait.ms); 0: as long as fetch() waits. */
    private readonly longPollMs = 0,
  ) {
    super(options);
    this.pool = client.newPool();
  }

  protected assigned(p: PartitionOffset, before: Assigned | undefined): Assigned {
    return { topic: p.topic, partition: p.partition, position: p.offset, paused: false, inFlight: before?.inFlight ?? false };
  }

  async fetch(maxWaitMs: number): Promise<FetchedPartition[]> {
    if (this.closed) return [];
    const deadline = Date.now() + maxWaitMs;
    let woken = false;
    for (;;) {
      const out = this.collect();
      if (out.length > 0 || woken || this.closed) return out;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return out;
      await this.startFetches(remaining);
      const waits = [...this.pending.values()].filter((p) => !p.settled).map((p) => p.done);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        ...waits,
        new Promise<void>((r) => {
          timer = setTimeout(r, Math.max(0, deadline - Date.now()));
          this.wake = () => {
            woken = true;
            r();
          };
        }),
      ]);
      clearTimeout(timer);
      this.wake = null;
      let failed = false;
      for (const p of [...this.pending.values()]) if (p.settled && p.error !== undefined) failed = this.rethrow(p) || failed;
      // A leader moved or a node is down: routing was forgotten; look again after a short pause.
      if (failed) await new Promise((r) => setTimeout(r, Math.min(100, Math.max(0, deadline - Date.now()))));
    }
  }

  /**
   * Ends a waiting fetch. A long poll still under way would hold up the next Fetch to that broker
   * (a broker answers a connection's requests in order), so it is abandoned: its connections are
   * closed and replaced (positions only move when an answer is handed out, so nothing is lost).
   */
  wakeup(): void {
    this.wake?.();
    if ([...this.pending.values()].some((p) => !p.settled)) {
      this.pending.clear();
      for (const a of this.parts.values()) a.inFlight = false;
      this.generation++;
      const old = this.pool;
      this.pool = this.client.newPool();
      void this.client.closePool(old);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wakeup();
    void this.client.closePool(this.pool);
  }


  /** Answered fetches: their partitions whose position still matches, positions moved past them. */
  private collect(): FetchedPartition[] {
    const out: FetchedPartition[] = [];
    for (const [leader, p] of this.pending) {
      if (!p.settled || p.error !== undefined) continue;
      this.pending.delete(leader);
      for (const f of p.result) {
        const a = this.parts.get(tpKey(f.topic, f.partition));
        if (!a || a.position !== f.fetchOffset || a.paused) continue;
        if (f.records.length > 0) {
          const fetched = this.client.offsetsFetched;
          fetched.set(f.topic, (fetched.get(f.topic) ?? 0) + f.nextOffset - a.position);
          a.position = f.nextOffset;
          out.push(f);
        }
      }
    }
    return out;
  }

  /** Drops a failed fetch; true when its error is retriable (routing was forgotten), else throws it. */
  private rethrow(p: Pending): boolean {
    for (const [k, v] of this.pending) if (v === p) this.pending.delete(k);
    if (isRetriable(p.error)) return true;
    throw p.error;
  }

  /** A Fetch to every leader of unpaused partitions that has none under way. */
  private async startFetches(maxWaitMs: number): Promise<void> {
    const byLeader = new Map<number, { broker: BrokerAddress; parts: Assigned[] }>();
    const list = [...this.parts.values()];
    const n = list.length;
    const start = this.rotate++ % Math.max(1, n);
    for (let i = 0; i < n; i++) {
      const a = list[(start + i) % n]!;
      if (a.paused || a.inFlight) continue;
      let leader: BrokerAddress;
      try {
        leader = await this.client.leaderFor(a.topic, a.partition);
      } catch (e) {
        if (isRetriable(e)) continue;
        throw e;
      }
      if (this.pending.has(leader.nodeId)) continue;
      let g = byLeader.get(leader.nodeId);
      if (!g) byLeader.set(leader.nodeId, (g = { broker: leader, parts: [] }));
      g.parts.push(a);
    }
    for (const [leader, g] of byLeader) {
      const p: Pending = { done: Promise.resolve(), settled: false, result: [], error: undefined };
      for (const a of g.parts) a.inFlight = true;
      const offsets = g.parts.map((a) => a.position);
      const generation = this.generation;
      (p as { done: Promise<void> }).done = this.fetchFrom(g.broker, g.parts, offsets, maxWaitMs, this.pool).then(
        (r) => {
          p.result = r;
        },
        (e: unknown) => {
          p.error = e;
        },
      ).finally(() => {
        p.settled = true;
        if (generation === this.generation) for (const a of g.parts) a.inFlight = false;
      });
      this.pending.set(leader, p);
    }
  }

  private async fetchFrom(broker: BrokerAddress, parts: Assigned[], offsets: number[], maxWaitMs: number, pool: ConnectionPool): Promise<FetchedPartition[]> {
    const topics = new Map<string, Array<{ partition: number; fetchOffset: bigint; partitionMaxBytes: number; currentLeaderEpoch: number; logStartOffset: bigint }>>();
    parts.forEach((a, i) => {
      let t = topics.get(a.topic);
      if (!t) topics.set(a.topic, (t = []));
      t.push({ partition: a.partition, fetchOffset: BigInt(offsets[i]!), partitionMaxBytes: this.maxBytesPerPartition, currentLeaderEpoch: -1, logStartOffset: -1n });
    });
    const r = await this.client.call(
      broker,
      ApiKeys.Fetch,
      {
        replicaId: -1,
        maxWaitMs: Math.max(0, Math.min(Math.round(Math.max(maxWaitMs, this.longPollMs)), 30_000)),
        minBytes: 1,
        maxBytes: this.maxBytes,
        isolationLevel: this.isolation === 'read_committed' ? 1 : 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
        forgottenTopicsData: [],
        rackId: '',
      },
      pool,
    );
    if (r.errorCode !== 0) throw new KafkaResponseError(r.errorCode, `Fetch from ${broker.host}:${broker.port}`);
    const asked = new Map(parts.map((a, i) => [tpKey(a.topic, a.partition), offsets[i]!]));
    const out: FetchedPartition[] = [];
    let stale = false;
    for (const t of r.responses) {
      for (const p of t.partitions) {
        const fetchOffset = asked.get(tpKey(t.topic, p.partitionIndex));
        if (fetchOffset === undefined) continue;
        if (p.errorCode === CODES.OFFSET_OUT_OF_RANGE) {
          // Retention removed the position (Kafka deletes by record timestamp, so old event
          // times go fast): from the earliest offset left (Kafka Streams' auto.offset.reset=earliest).
          const a = this.parts.get(tpKey(t.topic, p.partitionIndex));
          if (a && a.position === fetchOffset) {
            const [earliest] = await this.earliest([{ topic: t.topic, partition: p.partitionIndex }]);
            if (a.position === fetchOffset) a.position = earliest!;
          }
          continue;
        }
        if (p.errorCode !== 0) {
          const e = new KafkaResponseError(p.errorCode, `Fetch ${t.topic}-${p.partitionIndex}`);
          if (STALE_ROUTING.has(kafkaNameOf(e)!) || isRetriable(e)) {
            stale = true;
            continue;
          }
          throw e;
        }
        const records = wholeBatches(p.records);
        if (records.length === 0) continue;
        out.push({
          topic: t.topic,
          partition: p.partitionIndex,
          fetchOffset,
          records,
          abortedTransactions:
            this.isolation === 'read_committed' ? (p.abortedTransactions ?? []).map((x) => ({ producerId: Number(x.producerId), firstOffset: Number(x.firstOffset) })) : null,
          nextOffset: lastOffsetIn(records) + 1,
          highWatermark: Number(p.highWatermark),
          lastStableOffset: Number(p.lastStableOffset),
        });
      }
    }
    if (stale) this.client.forgetRouting();
    return out;
  }
}

const EMPTY = Buffer.alloc(0);

/** The whole batches of a fetched records field: a batch cut by the response's size limit is left for the next fetch. */
export function wholeBatches(records: Buffer | null): Buffer {
  if (records === null || records.length < LOG_OVERHEAD) return EMPTY;
  let at = 0;
  while (at + LOG_OVERHEAD <= records.length) {
    const size = records.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD;
    if (at + size > records.length) break;
    at += size;
  }
  return at === records.length ? records : records.subarray(0, at);
}
