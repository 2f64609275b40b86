import type { LogProducer } from '../../connectors/index.js';
import type { ChangelogCollector, ChangelogEntry } from '../../state/changelog.js';
import type { OutputRecord, RecordCollector } from '../records.js';
import { WATERMARK_HEADER } from '../watermarks.js';

const NO_HEADERS: readonly [] = [];

/**
 * The tasks' RecordCollector: hands every record straight to the process's producer (which
 * buffers per partition and encodes batches on flush) and counts records per topic, watermark
 * markers apart.
 */
export class OutputCollector implements RecordCollector {
  readonly counts = new Map<string, { records: number }>();
  private lastTopic = '';
  private last: { records: number } = { records: 0 };

  constructor(private readonly producer: () => LogProducer) {}

  send(r: OutputRecord): void {
    this.producer().send(r);
    if (r.key === null && r.value === null && r.headers.length > 0 && r.headers[0]!.key === WATERMARK_HEADER) return;
    if (r.topic !== this.lastTopic) {
      let c = this.counts.get(r.topic);
      if (!c) this.counts.set(r.topic, (c = { records: 0 }));
      this.lastTopic = r.topic;
      this.last = c;
    }
    this.last.records++;
  }
}

/**
 * One task's changelog writes, buffered until the next commit and deduplicated per key: only the
 * last value of each key goes to the changelog (Kafka Streams' record cache does the same for
 * changelogs). The store's state at the commit is then exactly what replaying the compacted
 * changelog gives, with one record per key and commit instead of one per update.
 */
export class ChangelogBuffer implements ChangelogCollector {
  private readonly byStore = new Map<string, Map<string, ChangelogEntry>>();
  private lastStore = '';
  private last: Map<string, ChangelogEntry> | undefined;
  private size = 0;

  constructor(
    readonly partition: number,
    /** store name -> changelog topic */
    private readonly topics: ReadonlyMap<string, string>,
  ) {}

  append(e: ChangelogEntry): void {
    let m = this.last;
    if (e.store !== this.lastStore || m === undefined) {
      m = this.byStore.get(e.store);
      if (!m) this.byStore.set(e.store, (m = new Map()));
      this.lastStore = e.store;
      this.last = m;
    }
    const before = m.size;
    m.set(e.key.toString('latin1'), e);
    this.size += m.size - before;
  }

  get pending(): number {
    return this.size;
  }

  /** Sends the buffered entries to the producer (as records of the open transaction). */
  drainTo(producer: LogProducer, now: number): number {
    let n = 0;
    for (const [store, m] of this.byStore) {
      if (m.size === 0) continue;
      const topic = this.topics.get(store);
      if (topic === undefined) throw new Error(`no changelog topic for store '${store}'`);
      for (const e of m.values()) {
        producer.send({ topic, partition: this.partition, timestamp: now, key: e.key, value: e.value, headers: NO_HEADERS });
        n++;
      }
      m.clear();
    }
    this.size = 0;
    return n;
  }
}
