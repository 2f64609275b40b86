import type { KeyValueStore } from '../../state/kv-store.js';
import { RecordCache } from '../../state/record-cache.js';
import type { Aggregation } from '../aggregation.js';
import { decodeState, encodeState, type StoreKeyCodec } from '../codec.js';
import type { Rec } from '../records.js';
import { Operator, isMutable } from './operator.js';

/** A key's accumulator held decoded between commits. */
interface CachedAcc {
  bytes: number;
  ref: boolean;
  /** The key as records carry it (the `byKey` index's key, when a string or number). */
  readonly key: unknown;
  /** The key's store key. */
  readonly kb: Buffer;
  acc: unknown;
  /** Changed since the last flush: queued in `dirty`, not yet in the store. */
  dirty: boolean;
  /** emit 'batch': the key's last record of this batch, its update not sent yet (queued in `held`). */
  last: Rec | undefined;
}

/**
 * When a keyed aggregation's updates go downstream: 'update', each record's new result at once;
 * 'batch', the last result per key of each input batch (Flink's mini-batch, Kafka Streams' record
 * cache): fewer updates, the same table.
 */
export type AggregateEmit = 'update' | 'batch';

/**
 * A keyed aggregation without windows: one accumulator per key; every record updates it and
 * sends the new result downstream (the table's changelog).
 *
 * Accumulators are held decoded in a record cache (as the window operator's slots) and written
 * to the store once per changed key at `flushState()`, before each commit: a key updated by many
 * records between commits costs one decode and one encode (and one changelog record), not one
 * per record. A key not in the cache is read from the store, which together with the cache's
 * changed entries is always the whole state; in front of an on-disk store the cache is bounded
 * (`cacheMaxBytes`) and an evicted key's change is written then. The value sent downstream is
 * the held accumulator's result, as window updates are: an aggregator that changes its
 * accumulator in place changes that object on the key's next record.
 *
 * Keys that are strings or numbers are also indexed as they are (`byKey`): a key seen before is
 * found without encoding it. With emit 'batch' a key's update waits for the end of the input
 * batch and only its last one goes downstream; it goes earlier when the watermark reaches its
 * timestamp (an event-time timer), so a held update never reaches a downstream window after the
 * watermark closed it: lateness stays what it is without holding (docs/semantics.md).
 */
export class AggregateOperator extends Operator {
  private store!: KeyValueStore;
  private keys = new RecordCache<CachedAcc>(Infinity, () => {});
  private byKey = new Map<unknown, CachedAcc>();
  private dirty: CachedAcc[] = [];
  /** emit 'batch': keys with an update not sent yet, in the order of their first change. */
  private held: CachedAcc[] = [];
  /** The earliest timestamp among held updates (the event-time timer), or +∞. */
  private heldFrom = Infinity;
  /** Running average of encoded accumulator sizes: a bounded cache's size estimate per key. */
  private accBytes = 64;

  constructor(
    name: string,
    private readonly storeName: string,
    private readonly agg: Aggregation,
    private readonly keyCodec: StoreKeyCodec,
    private readonly emit: AggregateEmit = 'update',
  ) {
    super(name);
  }

  override open(): void {
    this.store = this.ctx.store(this.storeName);
    this.keys = new RecordCache<CachedAcc>(this.store.cacheMaxBytes ?? Infinity, (_id, e) => this.evicted(e));
    this.byKey.clear();
    this.dirty = [];
    this.held = [];
    this.heldFrom = Infinity;
  }

  process(rec: Rec): void {
    const key = rec.key;
    const plain = isPlainKey(key);
    let e = plain ? this.byKey.get(key) : undefined;
    if (e === undefined) e = this.entry(key, plain);
    else e.ref = true;
    if (this.poisoned(rec, e.kb)) return;
    let acc: unknown;
    try {
      acc = this.agg.add(e.acc === NONE ? this.agg.init() : e.acc, rec.value, key);
    } catch (err) {
      // The held accumulator may be half-changed: a rollback, unless it cannot change (poison.ts).
      this.userCodeFailed(rec, err, e.kb, isMutable(e.acc));
      return;
    }
    e.acc = acc;
    if (!e.dirty) {
      e.dirty = true;
      this.dirty.push(e);
    }
    if (this.emit === 'update') {
      this.forward(rec.with(key, this.agg.result(acc)));
      return;
    }
    if (e.last === undefined) this.held.push(e);
    e.last = rec;
    if (rec.timestamp < this.heldFrom) {
      this.heldFrom = rec.timestamp;
      this.ctx.requestEventTime(rec.timestamp);
    }
  }

  /** emit 'batch': the held updates go downstream at the end of each batch. */
  override onBatchEnd(): void {
    if (this.held.length > 0) this.sendHeld();
  }

  override nextEventTime(): number {
    return this.heldFrom;
  }

  /** The watermark reached a held update's timestamp: everything held goes now, before windows downstream may close. */
  override onEventTime(): void {
    if (this.held.length > 0) this.sendHeld();
    else this.heldFrom = Infinity;
  }

  /** Writes the accumulators changed since the last flush to the store (and so to its changelog). */
  override flushState(): void {
    const dirty = this.dirty;
    if (dirty.length === 0) return;
    this.dirty = [];
    for (const e of dirty) this.write(e);
  }

  override close(): void {
    this.keys.clear();
    this.byKey.clear();
    this.dirty = [];
    for (const e of this.held) e.last = undefined;
    this.held = [];
    this.heldFrom = Infinity;
  }

  /** The record cache of keys (tests and metrics read its size and bound). */
  get cache(): { readonly size: number; readonly bytes: number; readonly maxBytes: number; readonly evictions: number } {
    return this.keys;
  }

  /** The table's current value for a key (including changes not yet flushed). */
  get(key: unknown): unknown {
    let e = isPlainKey(key) ? this.byKey.get(key) : undefined;
    const kb = e === undefined ? this.keyCodec.encode(key) : e.kb;
    if (e === undefined) e = this.keys.get(kb.toString('latin1'));
    if (e !== undefined) return e.acc === NONE ? undefined : this.agg.result(e.acc);
    const b = this.store.get(kb);
    return b ? this.agg.result(decodeState(b)) : undefined;
  }

  /** A key not found in `byKey`: from the record cache by its store key, else read from the store (and cached). */
  private entry(key: unknown, plain: boolean): CachedAcc {
    const kb = this.keyCodec.encode(key);
    const id = kb.toString('latin1');
    let e = this.keys.get(id);
    if (e === undefined) {
      const cur = this.store.get(kb);
      e = { bytes: KEY_OVERHEAD + 2 * kb.length + (cur ? cur.length : this.accBytes), ref: false, key, kb, acc: cur ? decodeState(cur) : NONE, dirty: false, last: undefined };
      if (this.keys.bounded) this.keys.makeRoom(e.bytes);
      this.keys.add(id, e);
    }
    // Only the entry's own key: another key with the same store key (a serde that is not one-to-one) goes by the store key.
    if (plain && e.key === key) this.byKey.set(key, e);
    return e;
  }

  private sendHeld(): void {
    const held = this.held;
    this.held = [];
    this.heldFrom = Infinity;
    for (let i = 0; i < held.length; i++) {
      const e = held[i]!;
      const rec = e.last!;
      e.last = undefined;
      this.forward(rec.with(rec.key, this.agg.result(e.acc)));
    }
  }

  /** Leaves the record cache (bounded): its change to the store; a held update still goes downstream (it holds the entry). */
  private evicted(e: CachedAcc): void {
    this.write(e);
    if (isPlainKey(e.key)) this.byKey.delete(e.key);
  }

  /** A changed accumulator to the store (at a flush, or when evicted; an evicted one may still be queued, clean). */
  private write(e: CachedAcc): void {
    if (!e.dirty) return;
    e.dirty = false;
    const b = encodeState(e.acc);
    this.accBytes += (b.length - this.accBytes) / 16;
    this.store.put(e.kb, b);
  }
}

/**
 * Keys indexed as they are: strings, and numbers but -0 (a Map takes -0 for 0, a serde may not).
 * Equal such keys have equal store keys, so the index agrees with the record cache.
 */
function isPlainKey(key: unknown): key is string | number {
  const t = typeof key;
  return t === 'string' || (t === 'number' && !Object.is(key, -0));
}

/** An accumulator not made yet (the key has no state); `undefined` is a valid one (reduce's "no value"). */
const NONE = Symbol('none');
/** Estimated bytes of a cached key beyond its key and accumulator bytes (entry object, map entry, id string). */
const KEY_OVERHEAD = 120;
