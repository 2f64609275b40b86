import type { ChangelogRecord } from './changelog.js';
import type { KeyValueEntry, KeyValueStore } from './kv-store.js';

/**
 * The in-memory KeyValueStore: a hash map for point reads and writes, plus a sorted array of keys
 * for range scans. Keys are held as latin1 strings, whose UTF-16 code units are the bytes, so
 * string comparison is byte comparison and the map can key by them.
 *
 * Inserting into the sorted array is a binary search and a splice (a memmove), fine for the
 * window, session and join buffers the engine keeps (they are trimmed as the watermark advances);
 * a store of many millions of keys wants the on-disk store instead.
 */
export class InMemoryKeyValueStore implements KeyValueStore {
  readonly name: string;
  private readonly map = new Map<string, Buffer>();
  private readonly sorted: string[] = [];

  constructor(name: string) {
    this.name = name;
  }

  get size(): number {
    return this.map.size;
  }

  get(key: Buffer): Buffer | undefined {
    return this.map.get(key.toString('latin1'));
  }

  put(key: Buffer, value: Buffer): void {
    const k = key.toString('latin1');
    if (!this.map.has(k)) this.sorted.splice(this.lowerBound(k), 0, k);
    this.map.set(k, value);
  }

  delete(key: Buffer): void {
    const k = key.toString('latin1');
    if (!this.map.delete(k)) return;
    const i = this.lowerBound(k);
    this.sorted.splice(i, 1);
  }

  *range(from: Buffer | undefined, to: Buffer | undefined): IterableIterator<KeyValueEntry> {
    const end = to === undefined ? undefined : to.toString('latin1');
    let i = from === undefined ? 0 : this.lowerBound(from.toString('latin1'));
    while (i < this.sorted.length) {
      const k = this.sorted[i]!;
      if (end !== undefined && k >= end) return;
      yield { key: Buffer.from(k, 'latin1'), value: this.map.get(k)! };
      // The caller may have written or deleted keys while iterating (purging closed windows
      // does): continue after k, wherever it now is.
      i = this.sorted[i] === k ? i + 1 : this.upperBound(k);
    }
  }

  all(): IterableIterator<KeyValueEntry> {
    return this.range(undefined, undefined);
  }

  restore(records: Iterable<ChangelogRecord>): void {
    for (const r of records) {
      if (r.value === null) this.delete(r.key);
      else this.put(r.key, r.value);
    }
  }

  flush(): void {}

  close(): void {
    this.map.clear();
    this.sorted.length = 0;
  }

  private upperBound(k: string): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid]! <= k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private lowerBound(k: string): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid]! < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
