import type { KeyValueStore } from '../../state/kv-store.js';
import { RecordCache } from '../../state/record-cache.js';
import { decodeState, encodeState, type StoreKeyCodec } from '../codec.js';
import type { KeyValue, Rec } from '../records.js';
import { Operator } from './operator.js';

/** A regrouped table's change, as it travels to the aggregation: take a value out, or put one in. */
export const SUBTRACT = 0;
export const ADD = 1;
export type TableChange = readonly [op: typeof SUBTRACT | typeof ADD, value: unknown];

/** A row's current mapping held decoded between commits. */
interface CachedMapping {
  bytes: number;
  ref: boolean;
  /** The row's store key. */
  readonly kb: Buffer;
  /** [new key, new value], or undefined: the row is deleted (or never was). */
  mapping: KeyValue<unknown, unknown> | undefined;
  /** Changed since the last flush: queued in `dirty`, not yet in the store. */
  dirty: boolean;
}

/**
 * table.groupBy(): maps each table row to (new key, new value) and sends the aggregation the
 * change, as Kafka Streams' KTable#groupBy does: for an update of a row, first a SUBTRACT of the
 * row's previous (new key, new value), then an ADD of the current one; a delete sends only the
 * SUBTRACT. The previous mapping of each row is kept in a store of its own (row key -> [new key,
 * new value]), so the operator needs nothing from the table it reads.
 *
 * The mappings are held decoded in a record cache and written once per changed row at
 * `flushState()`, before each commit (a deleted row's as a delete), as the aggregations' state is:
 * a row updated many times between commits costs one encode, not one decode and encode per
 * update. In front of an on-disk store the cache is bounded and an evicted row's change is
 * written then.
 */
export class TableGroupByOperator extends Operator {
  private store!: KeyValueStore;
  private rows = new RecordCache<CachedMapping>(Infinity, () => {});
  private dirty: CachedMapping[] = [];

  constructor(
    name: string,
    private readonly storeName: string,
    private readonly fn: (value: unknown, key: unknown) => KeyValue<unknown, unknown>,
    private readonly keyCodec: StoreKeyCodec,
  ) {
    super(name);
  }

  override open(): void {
    this.store = this.ctx.store(this.storeName);
    this.rows = new RecordCache<CachedMapping>(this.store.cacheMaxBytes ?? Infinity, (_id, e) => this.write(e, false));
    this.dirty = [];
  }

  process(rec: Rec): void {
    let next: KeyValue<unknown, unknown> | undefined;
    if (rec.value !== null && rec.value !== undefined) {
      try {
        next = this.fn(rec.value, rec.key);
      } catch (e) {
        this.ctx.deadLetter(rec, e, this.name);
        return;
      }
    }
    const kb = this.keyCodec.encode(rec.key);
    const id = kb.toString('latin1');
    let e = this.rows.get(id);
    if (e === undefined) {
      const cur = this.store.get(kb);
      e = { bytes: ROW_OVERHEAD + 2 * kb.length + (cur ? cur.length : 0), ref: false, kb, mapping: cur ? decodeState<[unknown, unknown]>(cur) : undefined, dirty: false };
      if (this.rows.bounded) this.rows.makeRoom(e.bytes);
      this.rows.add(id, e);
    }
    const prev = e.mapping;
    if (next !== undefined || prev !== undefined) {
      e.mapping = next === undefined ? undefined : [next[0], next[1]];
      if (!e.dirty) {
        e.dirty = true;
        this.dirty.push(e);
      }
    }
    if (prev) this.forward(rec.with(prev[0], [SUBTRACT, prev[1]] satisfies TableChange));
    if (next) this.forward(rec.with(next[0], [ADD, next[1]] satisfies TableChange));
  }

  /** Writes the mappings changed since the last flush to the store (and so to its changelog). */
  override flushState(): void {
    const dirty = this.dirty;
    if (dirty.length === 0) return;
    this.dirty = [];
    for (const e of dirty) this.write(e, true);
    // Entries grew in place (a row's mapping set after it was cached): back within the bound.
    if (this.rows.bounded) this.rows.shrink();
  }

  override close(): void {
    this.rows.clear();
    this.dirty = [];
  }

  /** A changed mapping to the store (at a flush, or when evicted; an evicted one may still be queued, clean). */
  private write(e: CachedMapping, cached: boolean): void {
    if (!e.dirty) return;
    e.dirty = false;
    if (e.mapping === undefined) {
      this.store.delete(e.kb);
      return;
    }
    const b = encodeState(e.mapping);
    // An evicted entry has left the cache's count already.
    if (cached) this.rows.resize(e, ROW_OVERHEAD + 2 * e.kb.length + b.length);
    this.store.put(e.kb, b);
  }
}

/** Estimated bytes of a cached row beyond its key and mapping bytes (entry object, map entry, id string). */
const ROW_OVERHEAD = 120;
