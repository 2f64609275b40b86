import type { KeyValueStore } from '../../state/kv-store.js';
import { RecordCache } from '../../state/record-cache.js';
import { decodeState, encodeState, type StoreKeyCodec } from '../codec.js';
import type { Rec } from '../records.js';
import { Operator } from './operator.js';
import { ADD, type TableChange } from './table-group-by.js';

/** What a regrouped table's aggregation does with a value put in (adder) and taken out (subtractor). */
export interface TableAggregation {
  readonly kind: string;
  init(): unknown;
  add(acc: unknown, value: unknown, key: unknown): unknown;
  subtract(acc: unknown, value: unknown, key: unknown): unknown;
}

/** A new key's accumulator held decoded between commits. */
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
 * The aggregation of a regrouped table (KGroupedTable#aggregate/count/reduce): one accumulator
 * per new key; every change from TableGroupByOperator adds or subtracts its value and sends the
 * new accumulator downstream (the result table's changelog).
 *
 * Accumulators are held decoded in a record cache, as the keyed aggregation's (aggregate.ts), and
 * written to the store once per changed key at `flushState()`, before each commit: an update of a
 * row (a subtraction and an addition, often on the same key) and every other change of the key
 * until the commit cost one decode and one encode, not one each per change. In front of an
 * on-disk store the cache is bounded and an evicted key's change is written then. The value sent
 * downstream is the held accumulator: an adder that changes it in place changes that object on
 * the key's next change.
 */
export class GroupedTableAggregateOperator extends Operator {
  private store!: KeyValueStore;
  private keys = new RecordCache<CachedAcc>(Infinity, () => {});
  private dirty: CachedAcc[] = [];
  /** Running average of encoded accumulator sizes: a bounded cache's size estimate per key. */
  private accBytes = 64;

  constructor(
    name: string,
    private readonly storeName: string,
    private readonly agg: TableAggregation,
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
    const [op, value] = rec.value as TableChange;
    const kb = this.keyCodec.encode(rec.key);
    const id = kb.toString('latin1');
    let e = this.keys.get(id);
    if (e === undefined) {
      const cur = this.store.get(kb);
      e = { bytes: KEY_OVERHEAD + 2 * kb.length + (cur ? cur.length : this.accBytes), ref: false, kb, acc: cur ? decodeState(cur) : NONE, dirty: false };
      if (this.keys.bounded) this.keys.makeRoom(e.bytes);
      this.keys.add(id, e);
    }
    let acc: unknown = e.acc === NONE ? this.agg.init() : e.acc;
    try {
      acc = op === ADD ? this.agg.add(acc, value, rec.key) : this.agg.subtract(acc, value, rec.key);
    } catch (err) {
      this.ctx.deadLetter(rec, err, this.name);
      return;
    }
    e.acc = acc;
    if (!e.dirty) {
      e.dirty = true;
      this.dirty.push(e);
    }
    this.forward(rec.with(rec.key, acc));
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

  /** The record cache of keys (tests read its size and bound). */
  get cache(): { readonly size: number; readonly bytes: number; readonly maxBytes: number; readonly evictions: number } {
    return this.keys;
  }

  /** The table's current value for a key (including changes not yet flushed). */
  get(key: unknown): unknown {
    const kb = this.keyCodec.encode(key);
    const e = this.keys.get(kb.toString('latin1'));
    if (e !== undefined) return e.acc === NONE ? undefined : e.acc;
    const b = this.store.get(kb);
    return b ? decodeState(b) : undefined;
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
