import type { KeyValueStore } from '../../state/kv-store.js';
import { RecordCache } from '../../state/record-cache.js';
import { decodeState, encodeState } from '../codec.js';

/** A key's accumulator held decoded between commits. */
export interface CachedAcc {
  bytes: number;
  ref: boolean;
  /** The key's store key. */
  readonly kb: Buffer;
  /** The accumulator, or NONE when the key has no state yet. */
  acc: unknown;
  /** Changed since the last flush: queued to be written, not yet in the store. */
  dirty: boolean;
}

/** An accumulator not made yet (the key has no state); `undefined` is a valid one (reduce's "no value"). */
export const NONE = Symbol('none');
/** Estimated bytes of a cached key beyond its key and accumulator bytes (entry object, map entry, id string). */
const KEY_OVERHEAD = 120;

/**
 * The accumulators of a keyed aggregation (aggregate.ts, grouped-table-aggregate.ts), held decoded
 * in a record cache in front of the operator's store and written back once per changed key at
 * `flush()`, before each commit: a key changed by many records between commits costs one decode
 * and one encode (and one changelog record), not one per record. The store together with the
 * cache's changed entries is always the whole state. In front of an on-disk store the cache is
 * bounded (`cacheMaxBytes`) and an evicted key's change is written then.
 */
export class AccumulatorCache<E extends CachedAcc> {
  private readonly keys: RecordCache<E>;
  private dirty: E[] = [];
  /** Running average of encoded accumulator sizes: a bounded cache's size estimate per key. */
  private accBytes = 64;

  /** `onEvict` runs after an evicted entry's change went to the store. */
  constructor(
    private readonly store: KeyValueStore,
    onEvict?: (e: E) => void,
  ) {
    this.keys = new RecordCache<E>(store.cacheMaxBytes ?? Infinity, (_id, e) => {
      this.write(e);
      onEvict?.(e);
    });
  }

  /** The cached entry of a store key (`id`: the store key as latin1). */
  get(id: string): E | undefined {
    return this.keys.get(id);
  }

  /** A key not cached yet: its accumulator read from the store (NONE if absent), made into an entry by `make` and cached. */
  load(kb: Buffer, id: string, make: (acc: unknown, bytes: number) => E): E {
    const cur = this.store.get(kb);
    const e = make(cur ? decodeState(cur) : NONE, KEY_OVERHEAD + 2 * kb.length + (cur ? cur.length : this.accBytes));
    if (this.keys.bounded) this.keys.makeRoom(e.bytes);
    this.keys.add(id, e);
    return e;
  }

  /** The key's current accumulator (including changes not yet flushed), without caching it; NONE if it has none. */
  current(kb: Buffer, id: string): unknown {
    const e = this.keys.get(id);
    if (e !== undefined) return e.acc;
    const b = this.store.get(kb);
    return b ? decodeState(b) : NONE;
  }

  /** The entry's accumulator changed: it is written at the next flush. */
  changed(e: E): void {
    if (e.dirty) return;
    e.dirty = true;
    this.dirty.push(e);
  }

  /** Writes the accumulators changed since the last flush to the store (and so to its changelog). */
  flush(): void {
    const dirty = this.dirty;
    if (dirty.length === 0) return;
    this.dirty = [];
    for (const e of dirty) this.write(e);
  }

  clear(): void {
    this.keys.clear();
    this.dirty = [];
  }

  /** Size, bound and evictions (tests and metrics). */
  get stats(): { readonly size: number; readonly bytes: number; readonly maxBytes: number; readonly evictions: number } {
    return this.keys;
  }

  /** A changed accumulator to the store (at a flush, or when evicted; an evicted one may still be queued, clean). */
  private write(e: E): void {
    if (!e.dirty) return;
    e.dirty = false;
    const b = encodeState(e.acc);
    this.accBytes += (b.length - this.accBytes) / 16;
    this.store.put(e.kb, b);
  }
}
