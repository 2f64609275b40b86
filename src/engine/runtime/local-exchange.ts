import { ExchangedRecord, type InputRecord, type OutputRecord, type RecordCollector } from '../records.js';
import { WATERMARK_HEADER } from '../watermarks.js';

/** Where the exchange hands a partition's queued records: the tasks reading that repartition partition. */
export type ExchangeDelivery = (topic: string, partition: number, records: InputRecord[]) => void;

/**
 * The repartition topics of a process that runs every task of the application, exchanged in
 * memory (Flink's local exchange): a record a task sends to a repartition topic is queued for
 * that topic's partition instead of going to the producer, and the runtime hands the queue to
 * the reading task (`drain`) — no RecordBatch encode, append, fetch or decode.
 *
 * Why exactly-once holds without the topic (docs/runtime.md, "Repartition in memory"): the
 * runtime drains every queue before each commit, so when a transaction commits the source
 * offsets, every record derived from the input up to them has been processed downstream, and the
 * downstream state (changelogs), outputs and watermark clocks are in the same transaction. After a
 * crash nothing of the aborted transaction survives on either side, and the sources are re-read
 * from the committed offsets: the records that were in flight in memory are made again.
 *
 * Each queue keeps send order, which is the order a reader of the topic would have seen (one
 * producer per process appends in send order), data records and watermark markers alike, so the
 * reading task's clocks see the same sequence per writer as through the log. Records get offsets
 * counted per queue from 0 (the position in this exchange, not in the topic: they appear in a
 * dead letter's `tributary.source.offset`).
 *
 * Records as objects: a repartition sink asks `handsOver(topic)`, and then sends ExchangedRecords —
 * key and value as the copies its serdes make (Serde.copy: what deserialize(serialize(v)) would
 * give, made without bytes, taken at send time as serialize() would be) — which the reading
 * source takes as they are when its codec reads what the writer's codec writes (the same serde:
 * one repartition's sink and source share it by construction). A side no copy exists for goes as
 * bytes; bytes of a copied side are made only if asked for (a dead letter). Nothing else changes:
 * the queue, its order, the offsets, the markers, the drain before every commit.
 */
export class LocalExchange implements RecordCollector {
  private readonly byTopic = new Map<string, Queue[]>();
  private lastTopic = '';
  private lastPartitions: Queue[] = [];
  private queued = 0;

  constructor(
    /** Everything that is not for a local repartition topic (outputs, changelogs are not here, dead letters). */
    private readonly next: RecordCollector,
    /** Repartition topics exchanged in memory, with their partition counts. */
    topics: ReadonlyMap<string, number>,
    /** Counts non-marker records per topic as the producer's collector does (the run summary's recordsOut). */
    private readonly counts: Map<string, { records: number }>,
    /** Let sinks send key and value objects (ExchangedRecord); false: bytes, as on the topic. */
    private readonly objects = true,
  ) {
    for (const [topic, n] of topics) {
      const parts: Queue[] = [];
      for (let p = 0; p < n; p++) parts.push({ topic, partition: p, records: [], nextOffset: 0 });
      this.byTopic.set(topic, parts);
    }
  }

  /** Records queued and not yet drained. */
  get pending(): number {
    return this.queued;
  }

  handsOver(topic: string): boolean {
    return this.objects && this.byTopic.has(topic);
  }

  send(r: OutputRecord): void {
    let parts = this.lastPartitions;
    if (r.topic !== this.lastTopic) {
      const found = this.byTopic.get(r.topic);
      if (found === undefined) {
        this.next.send(r);
        return;
      }
      this.lastTopic = r.topic;
      this.lastPartitions = parts = found;
    }
    const q = parts[r.partition];
    if (q === undefined) throw new RangeError(`partition ${r.partition} of repartition topic '${r.topic}' does not exist (${parts.length} partitions)`);
    if (r instanceof ExchangedRecord) {
      // Always data (markers are plain records); its bytes are not asked for.
      r.offset = q.nextOffset++;
      q.records.push(r);
      this.queued++;
      this.countRecord(r.topic);
      return;
    }
    q.records.push({ topic: q.topic, partition: q.partition, offset: q.nextOffset++, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers });
    this.queued++;
    if (isMarker(r)) return;
    this.countRecord(r.topic);
  }

  private countRecord(topic: string): void {
    let c = this.counts.get(topic);
    if (!c) this.counts.set(topic, (c = { records: 0 }));
    c.records++;
  }

  /**
   * Hands every queued record to `deliver`, queue by queue in send order, until no queue holds
   * any: what the reading tasks send to further repartition topics is delivered in the same call.
   */
  drain(deliver: ExchangeDelivery): void {
    while (this.queued > 0) {
      for (const parts of this.byTopic.values()) {
        for (let p = 0; p < parts.length; p++) {
          const q = parts[p]!;
          if (q.records.length === 0) continue;
          const records = q.records;
          q.records = [];
          this.queued -= records.length;
          deliver(q.topic, q.partition, records);
        }
      }
    }
  }
}

interface Queue {
  readonly topic: string;
  readonly partition: number;
  records: InputRecord[];
  nextOffset: number;
}

/**
 * Whether a record is a watermark marker (what the runtime's decode counts apart from data records
 * too). Headers first: an ExchangedRecord's key and value would be encoded when read.
 */
export function isMarker(r: OutputRecord): boolean {
  return r.headers.length > 0 && r.headers[0]!.key === WATERMARK_HEADER && r.key === null && r.value === null;
}
