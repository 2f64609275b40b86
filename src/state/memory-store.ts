import type { ChangelogBatch, ChangelogRecord } from './changelog.js';
import { prefixEnd } from './bytes.js';
import { keysAsIds, type EntrySource, type KeyValueEntry, type KeyValueStore } from './kv-store.js';

/**
 * Bytes of one slab restored values are copied into. Small, because one live value keeps its
 * whole slab: as restored values are overwritten, their slabs are freed (Buffer's own pool is 8 KiB).
 */
const RESTORE_SLAB = 16 * 1024;

/** Keys per chunk of the sorted index (a chunk splits in two past twice this). */
const MAX_CHUNK = 512;

/**
 * The in-memory KeyValueStore: a hash map for point reads and writes, plus the keys in sorted
 * chunks for range scans. Keys are held as latin1 strings, whose UTF-16 code units are the bytes,
 * so string comparison is byte comparison and the map can key by them.
 *
 * Why chunks: one sorted array spliced on every insert and delete is a memmove of the whole key
 * set, which dominated windowed workloads with 100K+ keys (80 % of CPU in a hopping count). With
 * chunks of at most 1,024 keys — a binary search over the chunks' first keys, then inside one
 * chunk — an insert or delete moves at most one chunk. range() continues after the last key it
 * returned, so writes and deletes made while iterating (purging closed windows does) are safe.
 *
 * The sorted index exists only while someone scans: it is built by the first range()/all() and
 * dropped again after more writes than keys without a scan. Operators that cache their state and
 * use the store for point writes and the changelog (windows) then pay a hash-map write, not an
 * ordered insert; operators that scan on every record (joins) keep it.
 *
 * An operator that holds every entry itself (an unbounded cache) hands the store over once it has
 * loaded it (`serveFrom`): the map is dropped, writes are no-ops (their changelog records are the
 * logged wrapper's), and reads ask the operator.
 */
export class InMemoryKeyValueStore implements KeyValueStore {
  readonly name: string;
  /** Undefined by default: operators cache everything in front of an in-memory store. */
  readonly cacheMaxBytes: number | undefined;
  private readonly map = new Map<string, Buffer>();
  private chunks: string[][] = [];
  /** Whether `chunks` is built (and then maintained on every write). */
  private indexed = false;
  private writesSinceScan = 0;
  /** Bumped whenever keys move in `chunks` (insert, delete, index built or dropped): scans re-seek. */
  private layout = 0;
  /** Times the sorted index was built (a sort of every key): tests check that who needs no order causes none. */
  sortedIndexBuilds = 0;
  /** Set by `serveFrom`: the owner of every entry, which answers reads; the map is empty. */
  private source: EntrySource | undefined;

  /** `cacheMaxBytes` bounds the operators' caches in front of this store (tests of the bounded path). */
  constructor(name: string, options: { cacheMaxBytes?: number } = {}) {
    this.name = name;
    this.cacheMaxBytes = options.cacheMaxBytes;
  }

  get size(): number {
    return this.source === undefined ? this.map.size : this.source.size;
  }

  get(key: Buffer): Buffer | undefined {
    return this.source === undefined ? this.map.get(key.toString('latin1')) : this.source.get(key);
  }

  /** Whether the store was handed over (`serveFrom`). */
  get served(): boolean {
    return this.source !== undefined;
  }

  serveFrom(source: EntrySource): void {
    this.source = source;
    this.map.clear();
    this.chunks = [];
    this.indexed = false;
    this.layout++;
    this.slab = undefined;
  }

  put(key: Buffer, value: Buffer, id?: string): void {
    if (this.source !== undefined) return;
    // A caller's kept id is the string the map holds already: no new string to make and hash,
    // and the map's key comparison is one of identity.
    const k = id ?? key.toString('latin1');
    if (this.indexed && !this.map.has(k) && this.keepIndex()) this.insert(k);
    this.map.set(k, value);
  }

  delete(key: Buffer, id?: string): boolean {
    if (this.source !== undefined) return true; // the owner deletes only what it wrote
    const k = id ?? key.toString('latin1');
    if (!this.map.delete(k)) return false;
    if (!this.indexed || !this.keepIndex()) return true;
    this.layout++;
    const c = this.chunkFor(k);
    const chunk = this.chunks[c]!;
    const i = lowerBound(chunk, k);
    chunk.splice(i, 1);
    if (chunk.length === 0) this.chunks.splice(c, 1);
    return true;
  }

  *range(from: Buffer | undefined, to: Buffer | undefined): IterableIterator<KeyValueEntry> {
    if (this.source !== undefined) {
      yield* sourceRange(this.source, from, to);
      return;
    }
    this.buildIndex();
    const end = to === undefined ? undefined : to.toString('latin1');
    // A cursor (chunk, index) steps through the chunks while their layout stays; a write that
    // changes it (a new key, a delete, the index dropped) makes the scan seek past the last key.
    let c = 0;
    let i = 0;
    if (from !== undefined) [c, i] = this.seek(from.toString('latin1'), true);
    let layout = this.layout;
    for (;;) {
      const chunk = this.chunks[c];
      if (chunk === undefined) return;
      if (i >= chunk.length) {
        c++;
        i = 0;
        continue;
      }
      const k = chunk[i]!;
      if (end !== undefined && k >= end) return;
      yield { key: Buffer.from(k, 'latin1'), value: this.map.get(k)! };
      // Writes during the scan may have dropped the index: rebuild it to continue.
      this.buildIndex();
      if (layout === this.layout) i++;
      else {
        [c, i] = this.seek(k, false);
        layout = this.layout;
      }
    }
  }

  all(): IterableIterator<KeyValueEntry> {
    return this.range(undefined, undefined);
  }

  /** Every entry in hash-map order: no sorted index is built (see KeyValueStore.unordered). */
  *unordered(): IterableIterator<KeyValueEntry> {
    if (this.source !== undefined) {
      yield* this.source.entries();
      return;
    }
    for (const [k, value] of this.map) yield { key: Buffer.from(k, 'latin1'), value };
  }

  unorderedById(): IterableIterator<[string, Buffer]> {
    // The map's own iterator, not a generator around it: an operator's open reads a million entries.
    return this.source === undefined ? this.map.entries() : keysAsIds(this.source.entries());
  }

  restore(records: Iterable<ChangelogRecord>): void {
    this.refuseRestoreWhenServed();
    for (const r of records) {
      if (r.value === null) this.delete(r.key);
      else this.put(r.key, r.value);
    }
  }

  /**
   * Puts copies of the fetched values (the batch's views die with the fetch): small ones packed
   * into shared slabs (one ArrayBuffer per RESTORE_SLAB bytes instead of one allocation through
   * Buffer.from per value); the key becomes its latin1 string, a copy already.
   */
  restoreBatch(batch: ChangelogBatch): void {
    this.refuseRestoreWhenServed();
    batch((key, value) => {
      if (value === null) this.delete(key);
      else this.put(key, this.copyValue(value));
    });
  }

  flush(): void {}

  close(): void {
    this.source = undefined;
    this.map.clear();
    this.chunks = [];
    this.indexed = false;
    this.slab = undefined;
  }

  private slab: Buffer | undefined;
  private slabAt = 0;

  /** A restore writes the map, which a served store no longer reads: the owner would never see it. */
  private refuseRestoreWhenServed(): void {
    if (this.source !== undefined) throw new Error(`store '${this.name}': restore after the store was handed to its operator`);
  }

  private copyValue(value: Buffer): Buffer {
    const n = value.length;
    if (n > RESTORE_SLAB >>> 3) return Buffer.from(value);
    let slab = this.slab;
    if (slab === undefined || this.slabAt + n > slab.length) {
      slab = this.slab = Buffer.allocUnsafeSlow(RESTORE_SLAB);
      this.slabAt = 0;
    }
    const at = this.slabAt;
    slab.set(value, at);
    // 8-byte aligned, as Buffer's own pool keeps them (readers may view them as typed arrays).
    this.slabAt = (at + n + 7) & ~7;
    return Buffer.from(slab.buffer, slab.byteOffset + at, n);
  }

  /** Counts a write while indexed; false (and the index is dropped) once writes outnumber keys since the last scan. */
  private keepIndex(): boolean {
    if (++this.writesSinceScan <= Math.max(1024, this.map.size)) return true;
    this.indexed = false;
    this.chunks = [];
    this.layout++;
    return false;
  }

  private buildIndex(): void {
    this.writesSinceScan = 0;
    if (this.indexed) return;
    this.indexed = true;
    this.sortedIndexBuilds++;
    this.layout++;
    const keys = [...this.map.keys()].sort();
    this.chunks = [];
    for (let i = 0; i < keys.length; i += MAX_CHUNK) this.chunks.push(keys.slice(i, i + MAX_CHUNK));
  }

  /** Position (chunk, index) of the smallest key >= k (inclusive) or > k; past the end if none. */
  private seek(k: string, inclusive: boolean): [number, number] {
    let c = this.chunkFor(k);
    while (c < this.chunks.length) {
      const chunk = this.chunks[c]!;
      const i = inclusive ? lowerBound(chunk, k) : upperBound(chunk, k);
      if (i < chunk.length) return [c, i];
      c++;
    }
    return [c, 0];
  }

  /** Index of the last chunk whose first key is <= k (0 if none). */
  private chunkFor(k: string): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.chunks[mid]![0]! <= k) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private insert(k: string): void {
    this.layout++;
    if (this.chunks.length === 0) {
      this.chunks.push([k]);
      return;
    }
    const c = this.chunkFor(k);
    const chunk = this.chunks[c]!;
    chunk.splice(lowerBound(chunk, k), 0, k);
    if (chunk.length > MAX_CHUNK * 2) this.chunks.splice(c + 1, 0, chunk.splice(MAX_CHUNK));
  }
}

/** A served store's range: the owner's entries of one key prefix when the bounds are one, else all its entries, filtered and sorted. */
function sourceRange(source: EntrySource, from: Buffer | undefined, to: Buffer | undefined): KeyValueEntry[] {
  let entries: KeyValueEntry[] | undefined;
  if (from !== undefined && to !== undefined && from.length > 0 && prefixEnd(from)?.equals(to)) entries = source.withPrefix(from);
  const out: KeyValueEntry[] = [];
  for (const e of entries ?? source.entries()) {
    if (from !== undefined && Buffer.compare(e.key, from) < 0) continue;
    if (to !== undefined && Buffer.compare(e.key, to) >= 0) continue;
    out.push(e);
  }
  return out.sort((a, b) => Buffer.compare(a.key, b.key));
}

function lowerBound(a: string[], k: string): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(a: string[], k: string): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
