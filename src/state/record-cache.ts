/**
 * A bounded cache of decoded state in front of a store (Kafka Streams' record cache): operators
 * keep the state of recently used keys as JS values, and write changed entries to their store
 * (and so to its changelog) at each flush, or when the entry is evicted to make room.
 *
 * Why bounded: a store on disk exists so that state can be larger than memory. A cache that holds
 * every key in front of it holds the whole state in the heap after all. With a bound, the heap
 * holds at most `maxBytes` (estimated) of cached state, and everything else lives in the store.
 *
 * Eviction is CLOCK (second chance), an approximation of LRU that costs a field write per hit
 * instead of moving the entry: entries sit in insertion order; a hit sets `ref`; the eviction
 * hand walks from the oldest entry, moving a referenced one to the back (clearing `ref`) and
 * evicting the first unreferenced one. Before an entry leaves, the `evict` callback writes its
 * changes to the store.
 *
 * Sizes are estimates the operator gives (encoded bytes plus a fixed overhead per entry, as Kafka
 * Streams counts serialized bytes), not measured heap bytes. `maxBytes` = Infinity: no bound and
 * no eviction — for stores that are in memory anyway.
 *
 * Eviction only ever runs inside `makeRoom()` and `shrink()`, which operators call when no entry
 * they hold a reference to may leave (before inserting a new entry, after a batch).
 */
/** The default bound of the cache in front of each on-disk store of a task (Kafka Streams: 10 MiB per instance). */
export const DEFAULT_CACHE_MAX_BYTES = 16 * 1024 * 1024;

export interface CachedEntry {
  /** Estimated bytes, as last given to `add` or `resize`. */
  bytes: number;
  /** Used since the eviction hand last passed. */
  ref: boolean;
}

export class RecordCache<E extends CachedEntry> {
  private readonly map = new Map<string, E>();
  private total = 0;
  /** Entries evicted so far (a counter for metrics and tests). */
  evictions = 0;

  constructor(
    readonly maxBytes: number,
    private readonly evict: (id: string, entry: E) => void,
  ) {}

  get bounded(): boolean {
    return this.maxBytes !== Infinity;
  }

  /** Estimated bytes held. */
  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.map.size;
  }

  get(id: string): E | undefined {
    const e = this.map.get(id);
    if (e !== undefined) e.ref = true;
    return e;
  }

  /** Adds an entry not in the cache; call `makeRoom(entry.bytes)` first when bounded. */
  add(id: string, entry: E): void {
    this.map.set(id, entry);
    this.total += entry.bytes;
  }

  /** The entry's estimated size changed. */
  resize(entry: E, bytes: number): void {
    this.total += bytes - entry.bytes;
    entry.bytes = bytes;
  }

  /** Removes an entry without evicting it (its state is gone, or its changes are handled). */
  delete(id: string): void {
    const e = this.map.get(id);
    if (e === undefined) return;
    this.map.delete(id);
    this.total -= e.bytes;
  }

  /** Evicts until `incoming` more bytes fit under the bound. */
  makeRoom(incoming: number): void {
    if (this.total + incoming <= this.maxBytes) return;
    this.evictDownTo(this.maxBytes - incoming);
  }

  /** Evicts until the cache is within its bound (entries grow in place between calls). */
  shrink(): void {
    if (this.total > this.maxBytes) this.evictDownTo(this.maxBytes);
  }

  values(): IterableIterator<E> {
    return this.map.values();
  }

  clear(): void {
    this.map.clear();
    this.total = 0;
  }

  private evictDownTo(target: number): void {
    // Each entry is visited at most twice: once to clear `ref` (moved to the back), once to go.
    let budget = 2 * this.map.size;
    for (const [id, e] of this.map) {
      if (this.total <= target || budget-- <= 0) return;
      if (e.ref) {
        e.ref = false;
        this.map.delete(id);
        this.map.set(id, e);
        continue;
      }
      this.map.delete(id);
      this.total -= e.bytes;
      this.evictions++;
      this.evict(id, e);
    }
  }
}
