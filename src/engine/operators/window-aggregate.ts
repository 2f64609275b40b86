import { unorderedById, type EntrySource, type KeyValueEntry, type KeyValueStore } from '../../state/kv-store.js';
import { idAndTime, keyPrefix, prefixEnd, prefixId, readTimestampLatin1, readUInt32Latin1, splitKeyWithTime, TIMESTAMP_BYTES, writeTimestamp } from '../../state/bytes.js';
import { RecordCache } from '../../state/record-cache.js';
import { isTimeIndexId, TIME_INDEX_PREFIX } from '../../state/window-store.js';
import { timeIndexDeriver } from '../../state/time-index-restore.js';
import type { Aggregation } from '../aggregation.js';
import { decodeState, encodeState, type StoreKeyCodec } from '../codec.js';
import { Rec } from '../records.js';
import type { Windowed } from '../serdes.js';
import { StoreTimerIndex } from '../timers.js';
import { firstWindowStart, lastWindowStart, type TimeWindows } from '../windows.js';
import { ExpiryQueue } from './join-expiry-queue.js';
import { Operator, isMutable, type OperatorContext } from './operator.js';

/**
 * The state of one key: its slots, by start. A slot is a pane (see `slotLength`) or, when panes
 * cannot be used, a whole window. Kept as JS values between commits (Kafka Streams' record
 * cache): the store sees only the slots changed since the last flush, once each.
 */
interface KeySlots {
  /** Record cache bookkeeping (see record-cache.ts). */
  bytes: number;
  ref: boolean;
  /**
   * The record key as it came (emitted in the Windowed key); UNDECODED for a key loaded from the
   * store until it is needed (keyOf): most restored keys are read again only when they close.
   */
  key: unknown;
  /** The store key bytes as latin1 (each char one byte): the map key, and the prefix of every slot's store key. */
  readonly id: string;
  starts: number[];
  accs: unknown[];
  /**
   * The first slot start changed since the last flush (put when present, deleted when gone), NaN
   * when none; `changed2` the second, `moreChanged` the others (rare: most keys change one slot
   * between flushes, a hopping key two — its current pane and the one a closing window dropped —
   * and a number field costs no array per key and flush).
   */
  changed: number;
  changed2: number;
  moreChanged: number[] | undefined;
  /**
   * Which of the changed slots were created since the key's changes were last written (bit 0:
   * `changed`, bit 1: `changed2`, bit 2 + j: `moreChanged[j]`): such a slot, gone again, was never
   * written, and its delete is skipped — a store handed over to this operator cannot tell.
   */
  fresh: number;
  /**
   * The store key of the slot written last (at `lastKeyStart`), kept by an unbounded cache: a slot
   * is written at every flush it changed in, and its key is the same Buffer each time (stores and
   * changelogs never write into key Buffers). Cut from the operator's `KeySlab`.
   */
  lastKey: Buffer | undefined;
  lastKeyStart: number;
  /**
   * `lastKey` as latin1, given to the store with every write of it: an in-memory store keys its
   * map by this very string, so a rewrite makes no string and hashes none (KeyValueStore.put).
   */
  lastKeyId: string | undefined;
  /** The flush generation this key was last queued in. */
  gen: number;
  /**
   * Unbounded cache: when the key's one timer fires (the close time of its earliest open window
   * with a slot), NaN when it has none. Queue entries at other times are stale and skipped.
   */
  due: number;
  /**
   * Unbounded cache, panes: per slot (beside `starts`), the first window it arms — the first that
   * was open for the record that made it; a window is emitted only if one of its panes armed it.
   * Undefined while every slot arms its first window (in-order input); made when a pane is
   * created for a record whose stamp had closed its first windows already (a partition whose
   * watermark runs ahead of the task's).
   */
  armed: number[] | undefined;
}

/**
 * The slot length of a window operator: a pane of gcd(size, advance) when each window can be
 * computed by merging the panes it covers — tumbling windows (one pane per window), or hopping
 * windows with a pure merge (count, sum, min, max, avg) — else undefined: one slot per window,
 * and a record updates each of the size/advance windows containing it.
 */
export function slotLength(windows: TimeWindows, agg: Aggregation): number | undefined {
  if (windows.size === windows.advance) return windows.size;
  if (agg.pureMerge && agg.merge) return gcd(windows.size, windows.advance);
  return undefined;
}

/**
 * Aggregates tumbling and hopping windows (Flink's panes, Kafka Streams' record cache).
 *
 * State per key is a handful of slots. With panes (see slotLength), a record updates exactly one
 * pane: a 10 s / 2 s hopping count costs one accumulator update per record instead of five, and
 * a window's result is the merge of its size/advance panes, computed when it is emitted. A pane
 * is dropped once the last window containing it closes.
 *
 * Timers: a window closes when the watermark reaches its `end + grace`: under emit 'final' its
 * result goes downstream then. Under emit 'update' every change goes downstream at once. Where the
 * timers live follows the cache:
 * - unbounded cache (in-memory stores): one timer per key, in the heap, holding the key's state
 *   itself (no lookup by id when it fires): due at the close of the key's earliest open window with
 *   a slot. When it fires, that window closes and the timer moves on to the key's next window with
 *   a slot (all of a key's slots are at or after it). A slot that opens an earlier window (an
 *   out-of-order record) moves the timer earlier; the entry left at the later time is skipped
 *   (`KeySlots.due` says which entry is live). A 10 s / 2 s hopping window thus costs one heap
 *   entry per key instead of one per open window, and a new pane no timer at all when the key has
 *   one already. Rebuilt from the store in `open()`.
 * - bounded cache (on-disk stores): one per (window close time, key), in the store's time index
 *   (window-store.ts), so that nothing per key stays in memory — firing is a range scan of the
 *   index. A timer is set when a key's first slot of a window appears.
 *
 * Store: entries (key, slot start) -> accumulator. Changes are written at `flushState()` (before
 * every commit), only the latest value of each changed slot, so the changelog carries one record
 * per slot and commit. `open()` rebuilds the timers from the store (after a restore), skipping
 * windows the restored watermark had already closed: the in-memory queue always; the store's time
 * index only when a restore changed the store (else the index on disk matches the windows).
 *
 * The cache of keys' slots is bounded when the store says so (`cacheMaxBytes`: on-disk stores):
 * a key that is not cached is read from the store when a record or a timer needs it, and an
 * evicted key's changed slots are written to the store (and its changelog) as it leaves. The
 * store plus the cached changes is always the whole state. In front of an in-memory store the
 * cache is unbounded and holds every key (loaded at open), as the store does.
 *
 * Results are records keyed by Windowed<K> with timestamp end - 1 (the window's last instant),
 * so a downstream window of a larger size puts them in the right window.
 *
 * Windows already closed for the record (a hopping record whose earlier windows closed) are
 * skipped; the record is late only if all its windows closed, which LatenessOperator decides.
 */
export class WindowAggregateOperator extends Operator {
  private store!: KeyValueStore;
  /** The keys' timers when the cache is unbounded: per close time, the keys whose timer is due then. */
  private readonly timers = new ExpiryQueue<KeySlots>();
  /** Keys with a timer in `timers` (its other entries are stale). */
  private liveTimers = 0;
  /** The store's time index: the timers when the cache is bounded (else undefined: `timers`). */
  private indexed: StoreTimerIndex | undefined;
  private keys = new RecordCache<KeySlots>(Infinity, () => {});
  /** Estimated encoded bytes of one accumulator (a running average of what was written). */
  private accBytes = 9;
  private dirty: KeySlots[] = [];
  private gen = 1;
  /** Where the store keys kept in KeySlots.lastKey are cut from. */
  private readonly keySlab = new KeySlab();
  /** Pane length, or undefined: slots are windows. */
  private readonly pane: number | undefined;
  /** The store was handed over (KeyValueStore.serveFrom): it reads the slots from here and keeps no map to key by id. */
  private served = false;

  constructor(
    name: string,
    private readonly storeName: string,
    private readonly windows: TimeWindows,
    private readonly grace: number,
    private readonly emit: 'final' | 'update',
    private readonly agg: Aggregation,
    private readonly keyCodec: StoreKeyCodec,
  ) {
    super(name);
    this.pane = slotLength(windows, agg);
  }

  /**
   * Behind a bounded cache the timers are the store's time index: it is kept in step while the
   * store is restored (before open), so open() trusts it instead of rebuilding it from the windows.
   */
  override attach(ctx: OperatorContext): void {
    super.attach(ctx);
    const store = ctx.store(this.storeName);
    if ((store.cacheMaxBytes ?? Infinity) === Infinity) return;
    const { size, advance } = this.windows;
    store.deriveWhileRestoring?.(timeIndexDeriver({ size, advance, close: size + this.grace, pane: this.pane }));
  }

  override open(): void {
    this.store = this.ctx.store(this.storeName);
    this.keys = new RecordCache<KeySlots>(this.store.cacheMaxBytes ?? Infinity, (_id, ks) => this.writeBack(ks));
    const index = new StoreTimerIndex(this.store);
    const W = this.watermark();
    if (this.keys.bounded) {
      // Keys are read from the store when needed; timers stay in the store's index.
      this.indexed = index;
      if (index.complete) index.dropDue(W);
      else {
        // Restored (or written with an in-memory queue): the index is rebuilt from the windows.
        index.deleteAll();
        this.buildIndex(index, W);
        index.markComplete();
      }
      return;
    }
    // Unbounded: every key in the cache, timers in the heap; an index left by a bounded run goes.
    // No order is needed (slots are inserted by start, the queue sorts), so an in-memory store
    // is read in hash order: no sort of every restored key.
    const close = this.windows.size + this.grace;
    const stale: Buffer[] = [];
    // `[u32 length][key][timestamp]` as latin1 strings: an in-memory store's own, no Buffer per entry.
    for (const [sid, value] of unorderedById(this.store)) {
      if (isTimeIndexId(sid)) {
        stale.push(Buffer.from(sid, 'latin1'));
        continue;
      }
      const len = readUInt32Latin1(sid, 0);
      insertSlot(this.slotsOf(sid.substring(4, 4 + len), undefined), readTimestampLatin1(sid, 4 + len), decodeState(value));
    }
    for (const k of stale) (this.store.unlogged ?? this.store).delete(k);
    // Each key's timer: its earliest window with a slot that the restored watermark has not closed.
    for (const ks of this.keys.values()) {
      for (const p of ks.starts) {
        const s = this.firstOpenWindow(p, W);
        if (s === s) {
          this.schedule(ks, s + close);
          break;
        }
      }
    }
    // Every slot is in the cache now: an in-memory store need not keep a second copy.
    this.store.serveFrom?.(this.entrySource());
    this.served = this.store.serveFrom !== undefined;
  }

  /** What a handed-over store reads: the slots, encoded as a flush writes them. */
  private entrySource(): EntrySource {
    const entry = (ks: KeySlots, i: number): KeyValueEntry => ({ key: slotKey(ks.id, ks.starts[i]!), value: encodeAcc(ks.accs[i]) });
    const op = this;
    return {
      get(key) {
        const at = idAndTime(key, 0);
        const ks = at && op.keys.get(at.id);
        const i = ks ? indexOf(ks.starts, at!.time) : -1;
        return i < 0 ? undefined : encodeAcc(ks!.accs[i]);
      },
      *entries() {
        for (const ks of op.keys.values()) for (let i = 0; i < ks.starts.length; i++) yield entry(ks, i);
      },
      withPrefix(prefix) {
        const id = prefixId(prefix);
        if (id === undefined) return undefined;
        const ks = op.keys.get(id);
        return ks ? ks.starts.map((_, i) => entry(ks, i)) : [];
      },
      get size() {
        let n = 0;
        for (const ks of op.keys.values()) n += ks.starts.length;
        return n;
      },
    };
  }

  /** The start of the earliest window holding the slot at `slot` that watermark `W` has not closed; NaN when all have closed. */
  private firstOpenWindow(slot: number, W: number): number {
    const { size, advance } = this.windows;
    const close = size + this.grace;
    const last = this.pane === undefined ? slot : lastWindowStart(this.windows, slot);
    let s = this.pane === undefined ? slot : firstWindowStart(this.windows, slot);
    while (s + close <= W && s <= last) s += advance;
    return s <= last ? s : NaN;
  }

  /** Records that the key's new pane at `pane` arms windows from `from` on (see KeySlots.armed). */
  private arm(ks: KeySlots, pane: number, from: number): void {
    let armed = ks.armed;
    if (armed === undefined || armed.length !== ks.starts.length - 1) {
      // Every other slot arms its first window.
      armed = ks.armed = [];
      for (const p of ks.starts) if (p !== pane) armed.push(firstWindowStart(this.windows, p));
    }
    const i = ks.starts.indexOf(pane);
    armed.splice(i, 0, from);
  }

  /** Unbounded cache: the key's timer is due at `time` unless it is due earlier already. */
  private schedule(ks: KeySlots, time: number): void {
    const due = ks.due;
    if (due === due) {
      if (due <= time) return;
    } else this.liveTimers++;
    ks.due = time;
    this.timers.add(time, ks);
    this.ctx.requestEventTime(time);
  }

  /** Indexes the open windows of the store (one scan; a key's entries are adjacent). */
  private buildIndex(index: StoreTimerIndex, W: number): void {
    const { size, advance } = this.windows;
    const close = size + this.grace;
    let current: Buffer | undefined;
    const done = new Set<number>();
    // Read a chunk of window keys, then write their index entries: writing while a range of an
    // on-disk store is open makes it re-seek for every entry.
    let from: Buffer | undefined;
    for (;;) {
      const chunk: Buffer[] = [];
      for (const e of this.store.range(from, TIME_INDEX_PREFIX)) {
        chunk.push(e.key);
        if (chunk.length >= BUILD_CHUNK) break;
      }
      for (const k of chunk) {
        const { key: kb, time: start } = splitKeyWithTime(k);
        if (current === undefined || !current.equals(kb)) {
          current = kb;
          done.clear();
        }
        const first = this.pane === undefined ? start : firstWindowStart(this.windows, start);
        const last = this.pane === undefined ? start : lastWindowStart(this.windows, start);
        for (let s = first; s <= last; s += advance) {
          if (s + close <= W || done.has(s)) continue;
          done.add(s);
          index.add(s + close, current);
        }
      }
      if (chunk.length < BUILD_CHUNK) return;
      from = Buffer.concat([chunk[chunk.length - 1]!, ZERO]); // the smallest key after the chunk's last
    }
  }

  /** Timers held in memory: keys with a timer in the heap queue (one each); 0 when timers live in the store's index. */
  get timersInMemory(): number {
    return this.liveTimers;
  }

  /** Timers in the store's time index (a scan; 0 when they live in memory). */
  timersInStore(): number {
    return this.indexed ? this.indexed.count() : 0;
  }

  /** The record cache of keys (tests and metrics read its size and bound). */
  get cache(): { readonly size: number; readonly bytes: number; readonly maxBytes: number; readonly evictions: number } {
    return this.keys;
  }

  override nextEventTime(): number {
    return this.indexed ? this.indexed.next : this.timers.next;
  }

  process(rec: Rec): void {
    const w = this.watermark();
    const W = rec.stamp > w ? rec.stamp : w;
    const { size, advance } = this.windows;
    const close = size + this.grace;
    const ts = rec.timestamp;
    const first = firstWindowStart(this.windows, ts);
    const last = lastWindowStart(this.windows, ts);
    if (last + close <= W) return; // every window closed (LatenessOperator has counted it)
    const ks = this.slotsOf(this.keyCodec.id(rec.key), rec.key);
    if (this.poisoned(rec, ks.id)) {
      this.dropIfEmpty(ks);
      return;
    }
    const pane = this.pane;
    if (pane !== undefined) {
      const ps = Math.floor(ts / pane) * pane;
      const i = indexOf(ks.starts, ps);
      let acc: unknown;
      try {
        acc = this.agg.add(i >= 0 ? ks.accs[i] : this.agg.init(), rec.value, rec.key);
      } catch (e) {
        // A held accumulator may be half-changed: a rollback, unless it cannot change (poison.ts).
        this.dropIfEmpty(ks);
        this.userCodeFailed(rec, e, ks.id, i >= 0 && isMutable(ks.accs[i]));
        return;
      }
      if (i >= 0) ks.accs[i] = acc;
      else {
        insertSlot(ks, ps, acc);
        if (this.indexed) {
          this.keys.resize(ks, this.sizeOf(ks));
          for (let s = first; s <= last; s += advance) {
            // A window with another slot of this key has its timer already.
            if (s + close <= W || hasSlotIn(ks, s, s + size, ps)) continue;
            this.indexTimer(s + close, ks.id);
          }
        } else {
          let s = first;
          while (s + close <= W) s += advance; // the pane's first open window (its last is open)
          if (s !== first || ks.armed !== undefined) this.arm(ks, ps, s);
          this.schedule(ks, s + close);
        }
      }
      this.touch(ks, ps, i < 0);
      if (this.emit === 'update') {
        for (let s = first; s <= last; s += advance) if (s + close > W) this.forwardWindow(ks, s, rec);
      }
      return;
    }
    // One slot per window: compute every window's new accumulator before writing any, so a
    // throwing user function leaves no window half-updated.
    const n = (last - first) / advance + 1;
    const accs: unknown[] = new Array(n);
    try {
      for (let k = 0, s = first; s <= last; s += advance, k++) {
        if (s + close <= W) continue;
        const i = indexOf(ks.starts, s);
        accs[k] = this.agg.add(i >= 0 ? ks.accs[i] : this.agg.init(), rec.value, rec.key);
      }
    } catch (e) {
      this.dropIfEmpty(ks);
      this.userCodeFailed(rec, e, ks.id, ks.accs.some(isMutable));
      return;
    }
    for (let k = 0, s = first; s <= last; s += advance, k++) {
      if (s + close <= W) continue;
      const i = indexOf(ks.starts, s);
      if (i >= 0) ks.accs[i] = accs[k];
      else {
        insertSlot(ks, s, accs[k]);
        if (this.indexed) {
          this.keys.resize(ks, this.sizeOf(ks));
          this.indexTimer(s + close, ks.id);
        } else this.schedule(ks, s + close);
      }
      this.touch(ks, s, i < 0);
      if (this.emit === 'update') this.forwardWindow(ks, s, rec);
    }
  }

  override onEventTime(watermark: number): void {
    const stamp = this.ctx.generatedStamp();
    const { size, advance } = this.windows;
    const close = size + this.grace;
    const indexed = this.indexed;
    if (indexed) {
      // In (close time, store key) order, a chunk at a time: a pass over 1M closing windows holds one chunk.
      for (let due = indexed.takeDue(watermark); due.length > 0; due = indexed.takeDue(watermark)) {
        // An evicted key's slots come back from the store.
        for (const d of due) this.closeWindow(this.slotsOf(d.key.toString('latin1'), undefined), d.time - close, stamp);
      }
      return;
    }
    // In (close time, store key) order, as the index fires: what is emitted does not depend on the
    // order the timers were set in (a restore sets them in the store's order).
    for (let due = this.timers.popDue(watermark, true); due; due = this.timers.popDue(watermark, true)) {
      const time = due.time;
      const start = time - close;
      for (const ks of due.groups) {
        if (ks.due !== time) continue; // moved earlier since, or the key is gone
        ks.due = NaN;
        this.liveTimers--;
        this.closeWindow(ks, start, stamp);
        const starts = ks.starts;
        if (starts.length === 0) continue;
        // The key's next window that a slot armed: every slot left starts at or after start + advance.
        let next: number;
        const armed = ks.armed;
        if (armed === undefined) next = this.pane === undefined ? starts[0]! : firstWindowStart(this.windows, starts[0]!);
        else {
          next = Infinity;
          for (let i = 0; i < armed.length; i++) {
            const a = armed[i]! > start + advance ? armed[i]! : start + advance;
            if (a < next) next = a;
          }
        }
        this.schedule(ks, (next > start + advance ? next : start + advance) + close);
      }
    }
  }

  /** The key's window at `start` closes: emitted (emit 'final'), and the slots no open window needs dropped. */
  private closeWindow(ks: KeySlots, start: number, stamp: number): void {
    const { size, advance } = this.windows;
    const end = start + size;
    if (this.emit === 'final') {
      const acc = this.windowAcc(ks, start);
      if (acc !== NONE) {
        const wk: Windowed<unknown> = { key: this.keyOf(ks), start, end };
        this.forward(new Rec(wk, this.agg.result(acc), end - 1, Rec.NO_HEADERS, stamp, undefined));
      }
    }
    // Drop the slots no open window needs: with panes, those before the next window's start.
    const keepFrom = this.pane === undefined ? start + 1 : start + advance;
    let drop = 0;
    while (drop < ks.starts.length && ks.starts[drop]! < keepFrom) drop++;
    if (drop === 0) {
      this.dropIfEmpty(ks);
      return;
    }
    if (drop === ks.starts.length) {
      // The key is gone: its deletes go to the store now rather than at the next flush, so a pass
      // closing a million windows does not hold a million keys (and their change lists) until then.
      for (let i = 0; i < drop; i++) markChanged(ks, ks.starts[i]!, false);
      ks.starts = [];
      ks.accs = [];
      ks.armed = undefined;
      this.writeChanges(ks);
      this.keys.delete(ks.id);
      return;
    }
    for (let i = 0; i < drop; i++) this.touch(ks, ks.starts[i]!, false);
    dropFirst(ks.starts, drop);
    dropFirst(ks.accs, drop);
    if (ks.armed !== undefined) dropFirst(ks.armed, drop);
    if (this.keys.bounded) this.keys.resize(ks, this.sizeOf(ks));
    this.dropIfEmpty(ks);
  }

  /** Bounded cache: a timer in the store's index for the window of key `id` closing at `time`. */
  private indexTimer(time: number, id: string): void {
    this.indexed!.add(time, id);
    this.ctx.requestEventTime(time);
  }

  /** Writes the slots changed since the last flush to the store (and so to its changelog). */
  override flushState(): void {
    const dirty = this.dirty;
    if (dirty.length === 0) return;
    this.dirty = [];
    this.gen++;
    for (const ks of dirty) this.writeChanges(ks);
  }

  /** Entries grown in place during a batch may have passed the bound: evict back under it. */
  override onBatchEnd(): void {
    this.keys.shrink();
  }

  override close(): void {
    this.keys.clear();
    this.dirty = [];
    this.timers.clear();
    this.liveTimers = 0;
    this.indexed = undefined;
  }

  /** The window's accumulator: its slot, or the merge of its panes in time order; NONE when empty. */
  private windowAcc(ks: KeySlots, start: number): unknown {
    if (this.pane === undefined) {
      const i = indexOf(ks.starts, start);
      return i >= 0 ? ks.accs[i] : NONE;
    }
    const end = start + this.windows.size;
    let acc: unknown = NONE;
    for (let i = 0; i < ks.starts.length; i++) {
      const s = ks.starts[i]!;
      if (s < start) continue;
      if (s >= end) break;
      acc = acc === NONE ? ks.accs[i] : this.agg.merge!(acc, ks.accs[i], this.keyOf(ks));
    }
    return acc;
  }

  private forwardWindow(ks: KeySlots, start: number, rec: Rec): void {
    const acc = this.windowAcc(ks, start);
    if (acc === NONE) return;
    const end = start + this.windows.size;
    const key: Windowed<unknown> = { key: rec.key, start, end };
    this.forward(new Rec(key, this.agg.result(acc), end - 1, rec.headers, rec.stamp, rec.origin));
  }

  /** Writes a key's changed slots to the store. */
  private writeChanges(ks: KeySlots): void {
    const first = ks.changed;
    if (first !== first) return; // NaN: nothing changed
    const fresh = ks.fresh;
    ks.changed = NaN;
    ks.fresh = 0;
    this.writeSlot(ks, first, (fresh & 1) !== 0);
    const second = ks.changed2;
    if (second !== second) return; // no second change, and so no more
    ks.changed2 = NaN;
    this.writeSlot(ks, second, (fresh & 2) !== 0);
    const more = ks.moreChanged;
    if (more === undefined) return;
    ks.moreChanged = undefined;
    for (let j = 0; j < more.length; j++) this.writeSlot(ks, more[j]!, j < MAX_FRESH_MORE && (fresh & (4 << j)) !== 0);
  }

  /**
   * Writes one slot's state to the store: its accumulator, or a delete when the slot is gone —
   * unless it is `fresh` (created since the key's last write): then it was never written.
   */
  private writeSlot(ks: KeySlots, start: number, fresh: boolean): void {
    const i = indexOf(ks.starts, start);
    if (i < 0 && fresh) return;
    let sk = ks.lastKey;
    let sid = ks.lastKeyId;
    if (sk === undefined || ks.lastKeyStart !== start) {
      // A bounded cache counts every byte it holds: it does not keep store keys. A deleted slot's
      // key is not written again: it does not take the place of a live slot's (hopping panes).
      if (this.keys.bounded || i < 0) {
        sk = slotKey(ks.id, start);
        sid = undefined;
      } else {
        sk = ks.lastKey = slotKey(ks.id, start, this.keySlab);
        sid = ks.lastKeyId = this.served ? undefined : sk.toString('latin1'); // a served store has no map to key
        ks.lastKeyStart = start;
      }
    }
    if (i < 0) {
      this.store.delete(sk, sid);
      if (ks.lastKeyStart === start) {
        ks.lastKey = undefined;
        ks.lastKeyId = undefined;
        ks.lastKeyStart = NaN;
      }
      return;
    }
    const b = encodeAcc(ks.accs[i]);
    this.accBytes += (b.length - this.accBytes) / 16;
    this.store.put(sk, b, sid);
  }

  /** An evicted key: its changes go to the store; it may still be queued for the next flush, with nothing left to write. */
  private writeBack(ks: KeySlots): void {
    this.writeChanges(ks);
    ks.starts = [];
    ks.accs = [];
  }

  /** The key's slots by id (the latin1 string of its store-key bytes); `key` undefined: decode it from the id. */
  private slotsOf(id: string, key: unknown): KeySlots {
    let ks = this.keys.get(id);
    if (ks !== undefined && ks.key === UNDECODED && key !== undefined) ks.key = key;
    if (!ks) {
      ks = { bytes: 0, ref: false, key: key === undefined ? UNDECODED : key, id, starts: [], accs: [], changed: NaN, changed2: NaN, moreChanged: undefined, fresh: 0, lastKey: undefined, lastKeyStart: NaN, lastKeyId: undefined, gen: 0, due: NaN, armed: undefined };
      if (this.keys.bounded) {
        // Not cached: whatever the store holds for the key is its state.
        const prefix = keyPrefix(Buffer.from(id, 'latin1'));
        for (const e of this.store.range(prefix, prefixEnd(prefix))) insertSlot(ks, splitKeyWithTime(e.key).time, decodeState(e.value));
        ks.bytes = this.sizeOf(ks);
        this.keys.makeRoom(ks.bytes);
      }
      this.keys.add(id, ks);
    }
    return ks;
  }

  /** The key's record key, decoded from its id the first time it is needed. */
  private keyOf(ks: KeySlots): unknown {
    if (ks.key === UNDECODED) ks.key = this.keyCodec.decode(Buffer.from(ks.id, 'latin1'));
    return ks.key;
  }

  /** Estimated bytes of a cached key: encoded accumulators plus fixed overheads (what Kafka Streams' cache counts). */
  private sizeOf(ks: KeySlots): number {
    return KEY_OVERHEAD + ks.id.length + ks.starts.length * (SLOT_OVERHEAD + this.accBytes);
  }

  /** Queues the key for the next flush, its slot at `start` changed (`fresh`: created just now). */
  private touch(ks: KeySlots, start: number, fresh: boolean): void {
    if (ks.gen !== this.gen) {
      ks.gen = this.gen;
      this.dirty.push(ks);
    }
    markChanged(ks, start, fresh);
  }

  private dropIfEmpty(ks: KeySlots): void {
    if (ks.starts.length === 0) this.keys.delete(ks.id);
  }
}

const NONE: unique symbol = Symbol('no window');
/** A KeySlots key not decoded yet (see KeySlots.key). */
const UNDECODED: unique symbol = Symbol('key not decoded');
/** Window entries read per step of an index rebuild. */
const BUILD_CHUNK = 4096;
const ZERO = Buffer.from([0]);
/** Estimated bytes of a cached key beyond its id and slots (the object, its arrays, the map entry). */
const KEY_OVERHEAD = 160;
/** Estimated bytes of one slot beyond its encoded accumulator (its start and array cells). */
const SLOT_OVERHEAD = 24;

/**
 * The store key of a key's slot, keyWithTime(key bytes, start) (state/bytes.ts), written straight
 * from the id (the key bytes as latin1): one Buffer per write instead of the key's bytes and then
 * the composite.
 */
export function slotKey(id: string, start: number, slab?: KeySlab): Buffer {
  const n = id.length;
  const out = slab === undefined ? Buffer.allocUnsafe(4 + n + TIMESTAMP_BYTES) : slab.take(4 + n + TIMESTAMP_BYTES);
  out.writeUInt32BE(n, 0);
  // Short ids (most keys) byte by byte: Buffer.write's call into C++ costs more than the copy.
  if (n <= SHORT_ID) for (let i = 0; i < n; i++) out[4 + i] = id.charCodeAt(i);
  else out.write(id, 4, n, 'latin1');
  writeTimestamp(out, 4 + n, start);
  return out;
}

/**
 * The encoded state of the integers 0..SMALL_INTS-1, made once: counts (and small sums) are
 * written for every changed window at every commit, and a 9-byte Buffer each was a Buffer object
 * per write, and per stored window. Shared safely: stores and changelogs keep or copy value
 * Buffers, never write into them, and readers decode them.
 */
const SMALL_INTS = 4096;
const smallInts: (Buffer | undefined)[] = [];

/** encodeState(acc), shared for small non-negative integers. */
export function encodeAcc(acc: unknown): Buffer {
  if (typeof acc === 'number' && acc >= 0 && acc < SMALL_INTS && Math.floor(acc) === acc && (acc !== 0 || 1 / acc > 0)) {
    return (smallInts[acc] ??= encodeState(acc));
  }
  return encodeState(acc);
}

/**
 * Slabs for store keys that live as long as their slot (KeySlots.lastKey). Not Node's Buffer pool:
 * a kept key there pins an 8 KiB slab of everyone's short-lived Buffers, so keys of long windows
 * could hold many times their size; here a slab holds only slot keys, made at about the same
 * time and so (windows closing in time order) mostly released together.
 */
export class KeySlab {
  private slab: Buffer | undefined;
  private at = 0;

  take(n: number): Buffer {
    if (n > KEY_SLAB >>> 4) return Buffer.allocUnsafeSlow(n);
    let slab = this.slab;
    if (slab === undefined || this.at + n > slab.length) {
      slab = this.slab = Buffer.allocUnsafeSlow(KEY_SLAB);
      this.at = 0;
    }
    const at = this.at;
    this.at = (at + n + 7) & ~7; // 8-byte aligned, as Node's pool
    return slab.subarray(at, at + n);
  }
}

const KEY_SLAB = 8 * 1024;

/** Ids up to this length are copied into a store key by a loop rather than Buffer.write. */
const SHORT_ID = 48;

function indexOf(starts: readonly number[], s: number): number {
  // A key has a handful of slots: a linear scan beats a binary search.
  for (let i = 0; i < starts.length; i++) if (starts[i] === s) return i;
  return -1;
}

/**
 * Records that the slot at `start` changed (the caller writes it, or queues the key for the flush);
 * `fresh`: the slot was just created. A slot already marked keeps its mark: created earlier since
 * the last write, it is still fresh; written before, a re-creation still replaces what was written.
 */
function markChanged(ks: KeySlots, start: number, fresh: boolean): void {
  const c = ks.changed;
  if (c !== c) {
    ks.changed = start; // was NaN: the first change
    if (fresh) ks.fresh |= 1;
    return;
  }
  if (c === start) return;
  const c2 = ks.changed2;
  if (c2 !== c2) {
    ks.changed2 = start;
    if (fresh) ks.fresh |= 2;
    return;
  }
  if (c2 === start) return;
  const more = ks.moreChanged;
  if (more === undefined) {
    ks.moreChanged = [start];
    if (fresh) ks.fresh |= 4;
    return;
  }
  for (let i = 0; i < more.length; i++) if (more[i] === start) return;
  // Past the bits of a number a slot counts as written: its delete is at worst a spare tombstone.
  if (fresh && more.length < MAX_FRESH_MORE) ks.fresh |= 4 << more.length;
  more.push(start);
}

/** `moreChanged` entries whose freshness KeySlots.fresh records (bits 2-30 of a small integer). */
const MAX_FRESH_MORE = 29;

/** Whether the key has a slot with from <= start < to other than `except`. */
function hasSlotIn(ks: KeySlots, from: number, to: number, except: number): boolean {
  for (let i = 0; i < ks.starts.length; i++) {
    const s = ks.starts[i]!;
    if (s >= from && s < to && s !== except) return true;
  }
  return false;
}

/**
 * Inserts a slot in start order, into new arrays of the exact length: push or splice grow an
 * array to 17+ cells, which cost about 280 bytes per key in two arrays (a third of the heap of a
 * key with one window), and a key gains a slot only once per pane or window.
 */
function insertSlot(ks: KeySlots, start: number, acc: unknown): void {
  const n = ks.starts.length;
  if (n === 0) {
    ks.starts = [start];
    ks.accs = [acc];
    return;
  }
  const old = ks.starts;
  const oldAccs = ks.accs;
  let i = n;
  while (i > 0 && old[i - 1]! > start) i--;
  const starts = new Array<number>(n + 1);
  const accs = new Array<unknown>(n + 1);
  for (let j = 0; j < i; j++) {
    starts[j] = old[j]!;
    accs[j] = oldAccs[j];
  }
  starts[i] = start;
  accs[i] = acc;
  for (let j = i; j < n; j++) {
    starts[j + 1] = old[j]!;
    accs[j + 1] = oldAccs[j];
  }
  ks.starts = starts;
  ks.accs = accs;
}

/**
 * Removes the first `n` elements in place: splice() would allocate an array of the removed ones
 * (a pane closes per key and advance), while shift() moves the array's start (V8 left-trims it).
 */
function dropFirst(a: unknown[], n: number): void {
  for (let i = 0; i < n; i++) a.shift();
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
