import type { KeyValueStore } from '../../state/kv-store.js';
import { RecordCache } from '../../state/record-cache.js';
import type { Aggregation } from '../aggregation.js';
import { decodeState, encodeState, type StoreKeyCodec } from '../codec.js';
import type { Rec } from '../records.js';
import { Operator } from './operator.js';

/** A key's accumulator held decoded between commits. */
interface CachedAcc {
  bytes: number;
  ref: boolean;
  /** The key's store key. */
  readonly kb: Buffer;
  acc: unknown;
  /** Changed since the last flush: queued in `dirty`, not yet in the store. */
  dirty: boolean;
}

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
 */
export class AggregateOperator extends Operator {
  private store!: KeyValueStore;
  private keys = new RecordCache<CachedAcc>(Infinity, () => {});
  private dirty: CachedAcc[] = [];
  /** Running average of encoded accumulator sizes: a bounded cache's size estimate per key. */
  private accBytes = 64;

  constructor(
    name: string,
    private readonly storeName: string,
    private readonly agg: Aggregation,
    private readonly keyCodec: StoreKeyCodec,
  ) {
    super(name);
  }

  override open(): void {
    this.store = this.ctx.store(this.storeName);
    this.keys = new RecordCache<CachedAcc>(this.store.cacheMaxBytes ?? Infinity, (_id, e) => this.write(e));
    this.dirty = [];
  }

  process(rec: Rec): void {
    const kb = this.keyCodec.encode(rec.key);
    const id = kb.toString('latin1');
    let e = this.keys.get(id);
    if (e === undefined) {
      const cur = this.store.get(kb);
      e = { bytes: KEY_OVERHEAD + 2 * kb.length + (cur ? cur.length : this.accBytes), ref: false, kb, acc: cur ? decodeState(cur) : NONE, dirty: false };
      if (this.keys.bounded) this.keys.makeRoom(e.bytes);
      this.keys.add(id, e);
    }
    let acc: unknown;
    try {
      acc = this.agg.add(e.acc === NONE ? this.agg.init() : e.acc, rec.value, rec.key);
    } catch (err) {
      this.ctx.deadLetter(rec, err, this.name);
      return;
    }
    e.acc = acc;
    if (!e.dirty) {
      e.dirty = true;
      this.dirty.push(e);
    }
    this.forward(rec.with(rec.key, this.agg.result(acc)));
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
    this.dirty = [];
  }

  /** The record cache of keys (tests and metrics read its size and bound). */
  get cache(): { readonly size: number; readonly bytes: number; readonly maxBytes: number; readonly evictions: number } {
    return this.keys;
  }

  /** The table's current value for a key (including changes not yet flushed). */
  get(key: unknown): unknown {
    const kb = this.keyCodec.encode(key);
    const e = this.keys.get(kb.toString('latin1'));
    if (e !== undefined) return e.acc === NONE ? undefined : this.agg.result(e.acc);
    const b = this.store.get(kb);
    return b ? this.agg.result(decodeState(b)) : undefined;
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

/** An accumulator not made yet (the key has no state); `undefined` is a valid one (reduce's "no value"). */
const NONE = Symbol('none');
/** Estimated bytes of a cached key beyond its key and accumulator bytes (entry object, map entry, id string). */
const KEY_OVERHEAD = 120;
