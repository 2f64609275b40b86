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
  private readonly byStore = new Map<string, LastWrites>();
  private lastStore = '';
  private last: LastWrites | undefined;
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
      if (!m) this.byStore.set(e.store, (m = new LastWrites()));
      this.lastStore = e.store;
      this.last = m;
    }
    if (m.set(e)) this.size++;
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
      const entries = m.entries;
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i]!;
        producer.send({ topic, partition: this.partition, timestamp: now, key: e.key, value: e.value, headers: NO_HEADERS });
      }
      n += entries.length;
      m.clear();
    }
    this.size = 0;
    return n;
  }
}

/**
 * The last entry per key of one store, in the order keys were first written: a hash table over
 * the key bytes (open addressing), so that deduplicating costs no string per write — the keys are
 * Buffers, and turning each into a string for a Map was a measurable share of a windowed
 * aggregation's commits.
 */
export class LastWrites {
  entries: ChangelogEntry[] = [];
  /** Slot -> index into `entries` + 1; 0 = empty. */
  private slots = new Int32Array(64);
  private slotHashes = new Int32Array(64);

  get size(): number {
    return this.entries.length;
  }

  /** Keeps `e` as its key's last write; true when the key is new. */
  set(e: ChangelogEntry): boolean {
    const h = hashBytes(e.key);
    const mask = this.slots.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const at = this.slots[i]!;
      if (at === 0) {
        this.entries.push(e);
        this.slots[i] = this.entries.length;
        this.slotHashes[i] = h;
        if (this.entries.length * 2 > this.slots.length) this.grow();
        return true;
      }
      if (this.slotHashes[i] === h && sameBytes(this.entries[at - 1]!.key, e.key)) {
        this.entries[at - 1] = e;
        return false;
      }
    }
  }

  clear(): void {
    this.entries = [];
    // The table keeps its size for the next commit (which likely writes as many keys), unless a
    // burst made it large: then it starts small again rather than being wiped at full size each commit.
    if (this.slots.length > 65536) {
      this.slots = new Int32Array(64);
      this.slotHashes = new Int32Array(64);
    } else {
      this.slots.fill(0);
    }
  }

  private grow(): void {
    const old = this.slots;
    const oldHashes = this.slotHashes;
    const slots = new Int32Array(old.length * 2);
    const hashes = new Int32Array(old.length * 2);
    const mask = slots.length - 1;
    for (let j = 0; j < old.length; j++) {
      const at = old[j]!;
      if (at === 0) continue;
      let i = oldHashes[j]! & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = at;
      hashes[i] = oldHashes[j]!;
    }
    this.slots = slots;
    this.slotHashes = hashes;
  }
}

/** FNV-1a over the bytes, with a final mix so that the low bits (the table index) depend on every byte. */
function hashBytes(b: Buffer): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  if (n > 64) return a.equals(b);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}
