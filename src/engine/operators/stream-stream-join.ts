import type { EntrySource, KeyValueEntry, KeyValueStore } from '../../state/kv-store.js';
import { idAndTime, keyPrefix, prefixEnd, prefixId, splitKeyWithTime, TIMESTAMP_BYTES, writeTimestamp } from '../../state/bytes.js';
import { RecordCache } from '../../state/record-cache.js';
import { TIME_INDEX_PREFIX } from '../../state/window-store.js';
import { decodeState, encodeState, type StoreKeyCodec } from '../codec.js';
import { Rec } from '../records.js';
import type { Serde } from '../serdes.js';
import { StoreTimerIndex } from '../timers.js';
import { ExpiryQueue } from './join-expiry-queue.js';
import { InputPort, Operator, type OperatorContext } from './operator.js';
import { expiryIndexDeriver } from '../../state/time-index-restore.js';

export type JoinKind = 'inner' | 'left' | 'outer';

type Buffered = [value: unknown, matched: boolean];

/**
 * First byte of a buffered record stored with the stream's value serde (bit 0: matched). State
 * encoding (codec.ts) starts with 0x00 (a number), 0x01 (bytes) or 0xFF (V8's version tag).
 */
const SERDE_TAG = 0x10;

/** One buffered record of one side. */
interface Entry {
  readonly ts: number;
  readonly seq: number;
  readonly value: unknown;
  matched: boolean;
  /** In the store (as of the last flush). */
  persisted: boolean;
  removed: boolean;
  /** The flush generation it was last queued in (0 once written by an eviction). */
  gen: number;
  readonly group: KeyGroup;
}

/** The buffered records of one key on one side, by (event time, sequence). */
interface KeyGroup {
  /** Record cache bookkeeping (see record-cache.ts). */
  bytes: number;
  ref: boolean;
  /** The store key bytes as latin1 (each char one byte). */
  readonly id: string;
  readonly key: unknown;
  readonly side: 0 | 1;
  entries: Entry[];
  /**
   * Unbounded cache only: the same key's group on the other side (both link each other), and
   * whether this group is the one `keys` maps the key to. One lookup finds both sides.
   */
  other: KeyGroup | undefined;
  head: boolean;
}

/**
 * Windowed stream-stream join. Both sides are buffered, per key, by (event time, sequence). A
 * record joins every buffered record of the other side with the same key whose event time is at
 * most `within` away; results have the later of the two timestamps.
 *
 * With W = max(record stamp, watermark), a record is late when ts + grace < W: it could have
 * missed partners already expired, so it is not joined; it is counted and dead-lettered. A
 * buffered record expires once no on-time partner can come any more (W > ts + within + grace);
 * then, under left/outer joins, a record that matched nothing is emitted with `undefined` for
 * the other side.
 *
 * The buffers are JS values between commits (a record cache): a record is written to its side's
 * store — (key, event time, sequence) -> tag byte (bit 0: matched) and the value serde's bytes — only at `flushState()`
 * before a commit, and not at all when it expired before one; so the changelog holds exactly the
 * records buffered at each commit, and `open()` rebuilds the buffers and timers from the stores.
 * An expired record that was written is deleted from the store at once.
 *
 * The cache of each side's groups is bounded when the store says so (`cacheMaxBytes`, half of it
 * per side: on-disk stores): a key's group that is not cached is read from the store when a
 * record or a timer needs it, and an evicted group's new or changed records are written to the
 * store (and its changelog) as it leaves. In front of in-memory stores it holds every group, in
 * one map for both sides (`keys`: a key's group on one side linked to its group on the other),
 * so a record costs one map lookup, not one per side, and a key one insert and one delete.
 *
 * Expiry timers: one per (side, key, event time) with buffered records, due at expiry(ts). Where
 * they live follows the cache, as for windows (window-aggregate.ts): with an unbounded cache in an
 * ExpiryQueue per side in the heap (join-expiry-queue.ts), rebuilt from the stores at `open()`; with a bounded one in each
 * side's store as a time index (`[ff ff ff ff][expiry][len][key]`, window-store.ts), not
 * changelogged and rebuilt from the buffered records after a restore, so that a join over many
 * keys holds no string per key in the heap. A timer is added only for the first record of its
 * (key, event time): a key's group holds all its records, ordered, so that is one comparison.
 */
export class StreamStreamJoinOperator extends Operator {
  private readonly stores: KeyValueStore[] = [];
  /** The timers while the cache is unbounded: per side, expiry time -> key groups. */
  private readonly queues = [new ExpiryQueue<KeyGroup>(), new ExpiryQueue<KeyGroup>()] as const;
  /** The stores' time indexes: the timers when the cache is bounded (else undefined: `timers`). */
  private indexes: [StoreTimerIndex, StoreTimerIndex] | undefined;
  /** Bounded caches (on-disk stores): each side's groups, evicted to its store. */
  private groups = [new RecordCache<KeyGroup>(Infinity, () => {}), new RecordCache<KeyGroup>(Infinity, () => {})];
  /**
   * Unbounded (every group in the heap): key id -> one of its groups, linked to the other side's
   * (`KeyGroup.other`). A record needs its key's groups on both sides; one map for both halves
   * the lookups, inserts and deletes per record of two per-side maps (a join over many keys
   * spends most of its lookups on keys that are not cached in the CPU).
   */
  private readonly keys = new Map<string, KeyGroup>();
  /** Groups per side in `keys` (the unbounded caches' sizes). */
  private readonly groupCounts: [number, number] = [0, 0];
  private bounded = false;
  /** Estimated encoded bytes of one buffered record (a running average of what was written). */
  private entryBytes = 64;
  private readonly ports: [InputPort, InputPort];
  private seq = 0;
  /** Entries added, changed or expired since the last flush (each once: see `touch`). */
  private dirty: Entry[] = [];
  private gen = 1;

  constructor(
    name: string,
    private readonly joiner: (left: unknown, right: unknown, key: unknown) => unknown,
    private readonly kind: JoinKind,
    private readonly within: number,
    private readonly grace: number,
    private readonly keyCodec: StoreKeyCodec,
    /**
     * The two streams' value serdes, when known: buffered values are stored as the serde's bytes
     * (as Kafka Streams stores its join windows), which is several times cheaper than V8
     * serialization. Without one a side's values are V8-serialized.
     */
    private readonly valueSerdes: readonly [Serde<unknown> | undefined, Serde<unknown> | undefined] = [undefined, undefined],
  ) {
    super(name);
    this.ports = [new InputPort(`${name}-left`, this, 0), new InputPort(`${name}-right`, this, 1)];
  }

  port(side: 0 | 1): Operator {
    return this.ports[side];
  }

  /**
   * Behind a bounded cache the timers are each side's time index: kept in step while the stores
   * are restored (before open; time-index-restore.ts), so open() trusts it instead of rebuilding it.
   */
  override attach(ctx: OperatorContext): void {
    super.attach(ctx);
    for (const side of ['left', 'right']) {
      const store = ctx.store(`${this.name}-${side}`);
      if ((store.cacheMaxBytes ?? Infinity) !== Infinity) store.deriveWhileRestoring?.(expiryIndexDeriver(this.expiry(0)));
    }
  }

  override open(): void {
    this.stores.push(this.ctx.store(`${this.name}-left`), this.ctx.store(`${this.name}-right`));
    for (const side of [0, 1] as const) {
      const max = this.stores[side]!.cacheMaxBytes;
      this.groups[side] = new RecordCache<KeyGroup>(max === undefined ? Infinity : max / 2, (_id, g) => this.writeBack(side, g));
    }
    const bounded = this.groups[0]!.bounded;
    this.bounded = bounded;
    const indexes = [new StoreTimerIndex(this.stores[0]!), new StoreTimerIndex(this.stores[1]!)] as const;
    if (bounded) this.indexes = [indexes[0], indexes[1]];
    for (const side of [0, 1] as const) {
      const index = indexes[side];
      if (!bounded) {
        // Every group in the cache, timers in the heap; an index left by a bounded run goes.
        index.deleteAll();
        for (const e of bufferedEntries(this.stores[side]!)) {
          const { key, time, extra } = splitKeyWithTime(e.key);
          const seq = extra.readUInt32BE(0);
          if (seq >= this.seq) this.seq = seq + 1;
          const id = key.toString('latin1');
          const [value, matched] = this.decodeBuffered(side, e.value);
          const group = this.groupOf(side, id, undefined);
          insertEntry(group, { ts: time, seq, value, matched, persisted: true, removed: false, gen: 0, group });
        }
        // One timer per (key, event time): a group's entries are ordered by time.
        for (const g of this.groupsOf(side)) {
          for (let i = 0; i < g.entries.length; i++) {
            const t = g.entries[i]!.ts;
            if (i === 0 || g.entries[i - 1]!.ts !== t) this.queues[side].add(this.expiry(t), g);
          }
        }
        // Every buffered record is in the cache now: an in-memory store need not keep a second copy.
        this.stores[side]!.serveFrom?.(this.entrySource(side));
        continue;
      }
      // Bounded: groups are read from the store when needed, timers stay in its index. The
      // index is trusted when no restore changed the store since it was built (its marker).
      const complete = index.complete;
      if (!complete) index.deleteAll();
      this.scanBuffered(side, complete ? undefined : index);
      if (!complete) index.markComplete();
    }
  }

  /** What a side's handed-over store reads: the records written at the last flush, encoded as written. */
  private entrySource(side: 0 | 1): EntrySource {
    const op = this;
    const entry = (e: Entry): KeyValueEntry => ({ key: op.storeKey(e), value: op.encodeBuffered(side, e.value, e.matched) });
    const written = (id: string): Entry[] => op.findGroup(side, id, undefined)?.entries.filter((e) => e.persisted) ?? [];
    return {
      get(key) {
        const at = idAndTime(key, 4); // the extra part: the u32 sequence number
        if (at === undefined) return undefined;
        const seq = key.readUInt32BE(key.length - 4);
        const e = written(at.id).find((x) => x.ts === at.time && x.seq >>> 0 === seq);
        return e && op.encodeBuffered(side, e.value, e.matched);
      },
      *entries() {
        for (const g of op.groupsOf(side)) for (const e of g.entries) if (e.persisted) yield entry(e);
      },
      withPrefix(prefix) {
        const id = prefixId(prefix);
        return id === undefined ? undefined : written(id).map(entry);
      },
      get size() {
        let n = 0;
        for (const g of op.groupsOf(side)) for (const e of g.entries) if (e.persisted) n++;
        return n;
      },
    };
  }

  /**
   * One scan of a side's buffered records (keys only): the next sequence number, and with `index`
   * one index entry per (key, event time). A chunk at a time: writing while a range of an on-disk
   * store is open makes it re-seek for every entry.
   */
  private scanBuffered(side: 0 | 1, index: StoreTimerIndex | undefined): void {
    let from: Buffer | undefined;
    let lastKey: Buffer | undefined;
    let lastTime = 0;
    for (;;) {
      const chunk: Buffer[] = [];
      for (const e of this.stores[side]!.range(from, TIME_INDEX_PREFIX)) {
        chunk.push(e.key);
        if (chunk.length >= SCAN_CHUNK) break;
      }
      for (const k of chunk) {
        const { key, time, extra } = splitKeyWithTime(k);
        const seq = extra.readUInt32BE(0);
        if (seq >= this.seq) this.seq = seq + 1;
        if (!index) continue;
        // A key's records are adjacent and ordered by time: one entry per run of equal times.
        if (lastKey !== undefined && time === lastTime && lastKey.equals(key)) continue;
        lastKey = key;
        lastTime = time;
        index.add(this.expiry(time), key);
      }
      if (chunk.length < SCAN_CHUNK) return;
      from = Buffer.concat([chunk[chunk.length - 1]!, ZERO]); // the smallest key after the chunk's last
    }
  }

  /** Timers held in the heap: (time, key) entries of both sides' queues; 0 when they live in the stores' indexes. */
  get timersInMemory(): number {
    return this.queues[0].entries + this.queues[1].entries;
  }

  /** Timers in the stores' time indexes (a scan; 0 when they live in memory). */
  timersInStore(): number {
    return this.indexes ? this.indexes[0].count() + this.indexes[1].count() : 0;
  }

  /** The record caches of the two sides (tests and metrics read their sizes and bounds). */
  get caches(): ReadonlyArray<{ readonly size: number; readonly bytes: number; readonly maxBytes: number; readonly evictions: number }> {
    if (this.bounded) return this.groups;
    // Unbounded: one map holds both sides' groups, sized estimates are not kept (as before).
    return this.groupCounts.map((size) => ({ size, bytes: 0, maxBytes: Infinity, evictions: 0 }));
  }

  /** The side's groups in the unbounded map. */
  private *groupsOf(side: 0 | 1): IterableIterator<KeyGroup> {
    for (const g of this.keys.values()) {
      if (g.side === side) yield g;
      else if (g.other !== undefined) yield g.other;
    }
  }

  override nextEventTime(): number {
    const t = this.indexes ?? this.queues;
    return Math.min(t[0]!.next, t[1]!.next);
  }

  process(rec: Rec): void {
    this.processSide(0, rec);
  }

  processSide(side: 0 | 1, rec: Rec): void {
    const w = this.watermark();
    const W = rec.stamp > w ? rec.stamp : w;
    const ts = rec.timestamp;
    if (ts + this.grace < W) {
      this.ctx.late(rec, this.name, false);
      return;
    }
    const id = this.keyCodec.id(rec.key);
    const otherSide = (1 - side) as 0 | 1;
    let other: KeyGroup | undefined;
    let own: KeyGroup | undefined;
    if (this.bounded) other = this.findGroup(otherSide, id, rec.key);
    else {
      const m = this.keys.get(id);
      if (m !== undefined) {
        if (m.side === side) {
          own = m;
          other = m.other;
        } else {
          other = m;
          own = m.other;
        }
      }
    }
    // Results of this record (value, timestamp): the first in locals, arrays only from a second
    // partner on (in a join over many keys most records find none or one).
    let matches = 0;
    let firstValue: unknown;
    let firstTime = 0;
    let outValues: unknown[] | undefined;
    let outTimes: number[] | undefined;
    const from = ts - this.within;
    const to = ts + this.within;
    if (other) {
      try {
        const entries = other.entries;
        for (let i = 0; i < entries.length; i++) {
          const e = entries[i]!;
          if (e.ts < from) continue;
          if (e.ts > to) break;
          const v = side === 0 ? this.joiner(rec.value, e.value, rec.key) : this.joiner(e.value, rec.value, rec.key);
          const t = ts > e.ts ? ts : e.ts;
          if (matches++ === 0) {
            firstValue = v;
            firstTime = t;
          } else if (outValues === undefined) {
            outValues = [v];
            outTimes = [t];
          } else {
            outValues.push(v);
            outTimes!.push(t);
          }
        }
      } catch (e) {
        this.ctx.deadLetter(rec, e, this.name);
        return;
      }
    }
    // The other side's records that matched for the first time (only now: a throwing joiner
    // leaves no mark): remember it, if their side emits unmatched records (left side of a left
    // join, either side of an outer join).
    if (matches > 0 && this.emitsUnmatched(otherSide)) {
      const entries = other!.entries;
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i]!;
        if (e.ts < from) continue;
        if (e.ts > to) break;
        if (e.matched) continue;
        e.matched = true;
        this.touch(otherSide, e);
      }
    }
    const group = own ?? (this.bounded ? this.groupOf(side, id, rec.key) : this.createUnbounded(side, id, rec.key, other));
    const entry: Entry = { ts, seq: this.seq++, value: rec.value, matched: matches > 0, persisted: false, removed: false, gen: 0, group };
    const at = insertEntry(group, entry);
    if (this.groups[side]!.bounded) this.groups[side]!.resize(group, this.sizeOf(group));
    this.touch(side, entry);
    // The entry has the highest sequence number so far, so it follows every record of its time:
    // the first of its (key, event time) unless the one before has the same time.
    if (at === 0 || group.entries[at - 1]!.ts !== ts) {
      const expiry = this.expiry(ts);
      if (this.indexes) this.indexes[side].add(expiry, group.id);
      else this.queues[side].add(expiry, group);
      this.ctx.requestEventTime(expiry);
    }
    if (matches === 0) return;
    const first = rec.with(rec.key, firstValue);
    first.timestamp = firstTime;
    this.forward(first);
    if (outValues === undefined) return;
    for (let i = 0; i < outValues.length; i++) {
      const out = rec.with(rec.key, outValues[i]);
      out.timestamp = outTimes![i]!;
      this.forward(out);
    }
  }

  override onEventTime(watermark: number): void {
    const stamp = this.ctx.generatedStamp();
    const indexes = this.indexes;
    if (indexes) {
      // The order of the heap queues below: by time, left before right at equal times, then by
      // store key; a chunk at a time, so a pass expiring a million keys holds one chunk.
      for (;;) {
        const n0 = indexes[0].next;
        const n1 = indexes[1].next;
        const side: 0 | 1 = n0 <= n1 ? 0 : 1;
        const next = side === 0 ? n0 : n1;
        if (next === Infinity || next > watermark) return; // (a drain's watermark is Infinity)
        // Index times are whole milliseconds: the right side takes what is due before the left's next.
        const limit = side === 0 ? Math.min(watermark, n1) : Math.min(watermark, n0 - 1);
        const due = indexes[side].takeDue(limit);
        if (due.length === 0) return; // cannot happen (next <= limit); a guard against spinning
        for (const d of due) this.expire(side, d.time, d.key.toString('latin1'), stamp);
      }
    }
    const queues = this.queues;
    for (;;) {
      // Expire both sides in time order, so unmatched records leave in event-time order; in
      // store-key order within a time where that emits something (else the order is not seen).
      const side: 0 | 1 = queues[0].next <= queues[1].next ? 0 : 1;
      const due = queues[side].popDue(watermark, this.emitsUnmatched(side));
      if (!due) return;
      for (const g of due.groups) this.expireGroup(side, due.time, g, stamp);
    }
  }

  /** The timer of key `id` on `side` due at `time` fires: its records of that event time (and any earlier) expire. */
  private expire(side: 0 | 1, time: number, id: string, stamp: number): void {
    const group = this.findGroup(side, id, undefined);
    if (group) this.expireGroup(side, time, group, stamp);
  }

  private expireGroup(side: 0 | 1, time: number, group: KeyGroup, stamp: number): void {
    const id = group.id;
    const ts = time - this.within - this.grace - 1;
    // Entries are ordered by time: those of this expiry time are a run at the front.
    let n = 0;
    while (n < group.entries.length && group.entries[n]!.ts <= ts) n++;
    if (n === 0) return;
    let expired: Entry[];
    if (n === group.entries.length) {
      expired = group.entries;
      group.entries = [];
    } else expired = group.entries.splice(0, n);
    if (group.entries.length === 0) this.dropGroup(side, group);
    else if (this.groups[side]!.bounded) this.groups[side]!.resize(group, this.sizeOf(group));
    for (const e of expired) {
      e.removed = true;
      // Deleted now, not at the flush: a group read back from the store must not see it.
      if (e.persisted) this.unwrite(side, e);
      if (e.matched || !this.emitsUnmatched(side)) continue;
      const k = group.key;
      let out: unknown;
      try {
        out = side === 0 ? this.joiner(e.value, undefined, k) : this.joiner(undefined, e.value, k);
      } catch (err) {
        this.ctx.deadLetter(new Rec(k, e.value, e.ts, Rec.NO_HEADERS, stamp, undefined), err, this.name);
        continue;
      }
      this.forward(new Rec(k, out, e.ts, Rec.NO_HEADERS, stamp, undefined));
    }
  }

  /** Writes the buffered records added, changed or expired since the last flush to the stores. */
  override flushState(): void {
    const dirty = this.dirty;
    if (dirty.length === 0) return;
    this.dirty = [];
    const gen = this.gen++;
    for (const e of dirty) {
      const side = e.group.side;
      if (e.gen !== gen) continue; // written when its group was evicted
      if (e.removed && !e.persisted) continue; // came and went between two commits
      if (e.removed) this.unwrite(side, e);
      else this.write(side, e);
    }
  }

  /** Groups grown in place during a batch may have passed the bound: evict back under it. */
  override onBatchEnd(): void {
    if (!this.groups[0]!.bounded) return;
    this.groups[0]!.shrink();
    this.groups[1]!.shrink();
  }

  override close(): void {
    for (const g of this.groups) g.clear();
    this.keys.clear();
    this.groupCounts[0] = this.groupCounts[1] = 0;
    for (const q of this.queues) q.clear();
    this.indexes = undefined;
    this.dirty = [];
  }

  private touch(side: 0 | 1, e: Entry): void {
    if (e.gen === this.gen) return;
    e.gen = this.gen;
    this.dirty.push(e);
  }

  /** The side's group of a key by id (the latin1 string of its store-key bytes); `key` undefined: decode it from the id. */
  private groupOf(side: 0 | 1, id: string, key: unknown): KeyGroup {
    const g = this.findGroup(side, id, key);
    if (g) return g;
    if (!this.bounded) return this.createUnbounded(side, id, key, this.findGroup((1 - side) as 0 | 1, id, key));
    const created: KeyGroup = { bytes: 0, ref: false, side, id, key: key === undefined ? this.keyCodec.decode(Buffer.from(id, 'latin1')) : key, entries: [], other: undefined, head: false };
    const groups = this.groups[side]!;
    if (groups.bounded) {
      created.bytes = this.sizeOf(created);
      groups.makeRoom(created.bytes);
    }
    groups.add(id, created);
    return created;
  }

  /** A new (empty) group in the unbounded map, linked to the key's group on the other side when it has one. */
  private createUnbounded(side: 0 | 1, id: string, key: unknown, other: KeyGroup | undefined): KeyGroup {
    const created: KeyGroup = { bytes: 0, ref: false, side, id, key: key === undefined ? this.keyCodec.decode(Buffer.from(id, 'latin1')) : key, entries: [], other, head: other === undefined };
    if (other === undefined) this.keys.set(id, created);
    else other.other = created;
    this.groupCounts[side]++;
    return created;
  }

  /** An emptied group leaves the cache (unbounded: its partner, if any, takes its place in the map). */
  private dropGroup(side: 0 | 1, g: KeyGroup): void {
    if (this.bounded) {
      this.groups[side]!.delete(g.id);
      return;
    }
    this.groupCounts[side]--;
    const o = g.other;
    if (o === undefined) {
      this.keys.delete(g.id);
      return;
    }
    g.other = undefined;
    o.other = undefined;
    if (g.head) {
      g.head = false;
      o.head = true;
      this.keys.set(g.id, o);
    }
  }

  /** The side's group of a key, from the cache or (bounded, evicted) the store; undefined when it has no records. */
  private findGroup(side: 0 | 1, id: string, key: unknown): KeyGroup | undefined {
    if (!this.bounded) {
      const m = this.keys.get(id);
      return m === undefined ? undefined : m.side === side ? m : m.other;
    }
    const groups = this.groups[side]!;
    const cached = groups.get(id);
    if (cached || !groups.bounded) return cached;
    const kb = Buffer.from(id, 'latin1');
    const prefix = keyPrefix(kb);
    let g: KeyGroup | undefined;
    for (const e of this.stores[side]!.range(prefix, prefixEnd(prefix))) {
      g ??= { bytes: 0, ref: false, side, id, key: key === undefined ? this.keyCodec.decode(kb) : key, entries: [], other: undefined, head: false };
      const { time, extra } = splitKeyWithTime(e.key);
      const [value, matched] = this.decodeBuffered(side, e.value);
      insertEntry(g, { ts: time, seq: extra.readUInt32BE(0), value, matched, persisted: true, removed: false, gen: 0, group: g });
    }
    if (!g) return undefined;
    g.bytes = this.sizeOf(g);
    groups.makeRoom(g.bytes);
    groups.add(id, g);
    return g;
  }

  /** An evicted group: its records added or changed since the last flush go to the store now. */
  private writeBack(side: 0 | 1, g: KeyGroup): void {
    for (const e of g.entries) {
      if (e.gen !== this.gen) continue;
      this.write(side, e);
      e.gen = 0;
    }
  }

  private write(side: 0 | 1, e: Entry): void {
    const b = this.encodeBuffered(side, e.value, e.matched);
    this.entryBytes += (b.length - this.entryBytes) / 16;
    this.stores[side]!.put(this.storeKey(e), b);
    e.persisted = true;
  }

  /** Deletes a written record from its side's store. */
  private unwrite(side: 0 | 1, e: Entry): void {
    this.stores[side]!.delete(this.storeKey(e));
    e.persisted = false;
  }

  /** A buffered record's store value: [SERDE_TAG | matched, serde bytes], or V8's [value, matched]. */
  private encodeBuffered(side: 0 | 1, value: unknown, matched: boolean): Buffer {
    const serde = this.valueSerdes[side];
    if (serde === undefined) return encodeState([value, matched] satisfies Buffered);
    const bytes = serde.serialize(value);
    const b = Buffer.allocUnsafe(bytes.length + 1);
    b[0] = matched ? SERDE_TAG | 1 : SERDE_TAG;
    // Values are small: a loop beats Buffer#copy's checks below a few dozen bytes.
    const n = bytes.length;
    if (n <= 32) for (let i = 0; i < n; i++) b[1 + i] = bytes[i]!;
    else bytes.copy(b, 1);
    return b;
  }

  /** Either format: stores written before the serde format (or for a side without a serde) hold V8's. */
  private decodeBuffered(side: 0 | 1, b: Buffer): Buffered {
    if ((b[0]! & ~1) !== SERDE_TAG) return decodeState<Buffered>(b);
    const serde = this.valueSerdes[side];
    if (serde === undefined) {
      throw new Error(`join '${this.name}': its ${side === 0 ? 'left' : 'right'} store holds values written with a value serde, and the stream has none now`);
    }
    // A copy: `b` may be a view of a store's bytes, and a serde may keep views of what it reads.
    return [serde.deserialize(Buffer.from(b.subarray(1))), (b[0]! & 1) === 1];
  }

  /** keyWithTime(key bytes, ts, u32 seq), in one allocation. */
  private storeKey(e: Entry): Buffer {
    return storeKeyOf(e.group.id, e.ts, e.seq);
  }

  /** Estimated bytes of a cached group: encoded records plus fixed overheads (what Kafka Streams' cache counts). */
  private sizeOf(g: KeyGroup): number {
    return GROUP_OVERHEAD + g.id.length + g.entries.length * (ENTRY_OVERHEAD + this.entryBytes);
  }

  private emitsUnmatched(side: 0 | 1): boolean {
    return this.kind === 'outer' || (this.kind === 'left' && side === 0);
  }

  /** The watermark at which no on-time partner can arrive any more: W > ts + within + grace. */
  private expiry(ts: number): number {
    return ts + this.within + this.grace + 1;
  }
}

/** A side's buffered records, without its time index. */
function bufferedEntries(store: KeyValueStore) {
  return store.range(undefined, TIME_INDEX_PREFIX);
}

/** Keeps a group's entries by (time, sequence); records mostly arrive in time order, so from the end. Returns its index. */
function insertEntry(group: KeyGroup, e: Entry): number {
  const list = group.entries;
  if (list.length === 0) {
    // An array of one: a push onto an empty array allocates room for 17, ~140 bytes per group
    // that most keys of a join over many keys (one record per key and side) never use.
    group.entries = [e];
    return 0;
  }
  let i = list.length;
  while (i > 0 && (list[i - 1]!.ts > e.ts || (list[i - 1]!.ts === e.ts && list[i - 1]!.seq > e.seq))) i--;
  if (i === list.length) list.push(e);
  else list.splice(i, 0, e);
  return i;
}

/** Estimated bytes of a cached group beyond its id and records (the object, its array, the map entry). */
const GROUP_OVERHEAD = 160;
/** Estimated bytes of one buffered record beyond its encoded form (the Entry object). */
const ENTRY_OVERHEAD = 80;

/**
 * keyWithTime(key bytes, ts, u32 seq) (state/bytes.ts) written straight from the key's id (its
 * bytes as latin1): one Buffer per store write or delete, no Buffer of the key bytes per group.
 */
export function storeKeyOf(id: string, ts: number, seq: number): Buffer {
  const n = id.length;
  const out = Buffer.allocUnsafe(4 + n + TIMESTAMP_BYTES + 4);
  out.writeUInt32BE(n, 0);
  // Ids are short: a loop beats the native latin1 write below a few dozen bytes.
  if (n <= 32) for (let i = 0; i < n; i++) out[4 + i] = id.charCodeAt(i);
  else out.write(id, 4, n, 'latin1');
  writeTimestamp(out, 4 + n, ts);
  out.writeUInt32BE(seq >>> 0, 4 + n + TIMESTAMP_BYTES);
  return out;
}

/** Buffered records read per step of an index rebuild. */
const SCAN_CHUNK = 4096;
const ZERO = Buffer.from([0]);

