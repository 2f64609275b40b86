import { applyChangelogBatch, type ChangelogBatch, type ChangelogCollector, type ChangelogRecord } from './changelog.js';
import type { KeyValueEntry, KeyValueStore } from './kv-store.js';
import { InMemoryKeyValueStore } from './memory-store.js';

/**
 * The key of the marker entry that says a store's unlogged, derived entries (a window store's
 * time index) match its logged ones. A restore that applies any record deletes it first, in the
 * same write as the records, so derived entries are never trusted after their store changed
 * under them; the operator that owns them rebuilds them and writes the marker again. No logged
 * key starts with ff ff ff ff (composite keys start with a key length, see bytes.ts).
 */
export const DERIVED_ENTRIES_VALID: Buffer = Buffer.from([0xff, 0xff, 0xff, 0xff]);

/**
 * Wraps a store so that every put and delete is also appended to the task's changelog
 * collector. Restoring goes straight to the inner store: replaying the changelog must not
 * write the changelog again.
 */
export class LoggedKeyValueStore implements KeyValueStore {
  /** A restore has deleted the DERIVED_ENTRIES_VALID marker already (restores come before the store is used). */
  private derivedInvalidated = false;
  /**
   * The inner store's `size` is exact and O(1) (in memory): a delete tells whether the key was
   * there by the size changing, instead of a `get` first (a second latin1 string and hash lookup
   * per delete, a measurable share of closing 100K windows). LMDB's size is a stat call.
   */
  private readonly sizeShowsDeletes: boolean;

  constructor(
    private readonly inner: KeyValueStore,
    private readonly changelog: ChangelogCollector,
  ) {
    this.sizeShowsDeletes = inner instanceof InMemoryKeyValueStore;
  }

  get name(): string {
    return this.inner.name;
  }

  get size(): number {
    return this.inner.size;
  }

  get cacheMaxBytes(): number | undefined {
    return this.inner.cacheMaxBytes;
  }

  /** Writes here are not changelogged (derived entries, rebuilt after a restore). */
  get unlogged(): KeyValueStore {
    return this.inner;
  }

  get(key: Buffer): Buffer | undefined {
    return this.inner.get(key);
  }

  put(key: Buffer, value: Buffer): void {
    this.inner.put(key, value);
    this.changelog.append({ store: this.inner.name, key, value });
  }

  delete(key: Buffer): void {
    // No tombstone for a key that was not there: the changelog gets exactly the effective deletes.
    if (this.sizeShowsDeletes) {
      const before = this.inner.size;
      this.inner.delete(key);
      if (this.inner.size === before) return;
    } else {
      if (this.inner.get(key) === undefined) return;
      this.inner.delete(key);
    }
    this.changelog.append({ store: this.inner.name, key, value: null });
  }

  range(from: Buffer | undefined, to: Buffer | undefined): IterableIterator<KeyValueEntry> {
    return this.inner.range(from, to);
  }

  all(): IterableIterator<KeyValueEntry> {
    return this.inner.all();
  }

  restore(records: Iterable<ChangelogRecord>): void {
    if (this.derivedInvalidated) this.inner.restore(records);
    else this.inner.restore(this.invalidatingDerived(records));
  }

  restoreBatch(batch: ChangelogBatch): void {
    if (this.derivedInvalidated) {
      applyChangelogBatch(this.inner, batch);
      return;
    }
    applyChangelogBatch(this.inner, (apply) =>
      batch((key, value) => {
        if (!this.derivedInvalidated) {
          this.derivedInvalidated = true;
          apply(DERIVED_ENTRIES_VALID, null);
        }
        apply(key, value);
      }),
    );
  }

  /** The records, after a tombstone of DERIVED_ENTRIES_VALID when there is at least one (once per store). */
  private *invalidatingDerived(records: Iterable<ChangelogRecord>): Generator<ChangelogRecord> {
    for (const r of records) {
      if (!this.derivedInvalidated) {
        this.derivedInvalidated = true;
        yield { key: DERIVED_ENTRIES_VALID, value: null };
      }
      yield r;
    }
  }

  flush(): void | Promise<void> {
    return this.inner.flush();
  }

  close(): void {
    this.inner.close();
  }
}
