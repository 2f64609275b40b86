import { applyChangelogBatch, type ChangelogApply, type ChangelogBatch, type ChangelogCollector, type ChangelogRecord } from './changelog.js';
import type { EntrySource, KeyValueEntry, KeyValueStore, RestoreBatchOptions, RestoreDeriver } from './kv-store.js';

/**
 * The key of the marker entry that says a store's unlogged, derived entries (a window store's
 * time index) match its logged ones. A restore that applies any record deletes it first, in the
 * same write as the records, so derived entries are never trusted after their store changed
 * under them; the operator that owns them rebuilds them and writes the marker again. No logged
 * key starts with ff ff ff ff (composite keys start with a key length, see bytes.ts).
 */
export const DERIVED_ENTRIES_VALID: Buffer = Buffer.from([0xff, 0xff, 0xff, 0xff]);
/** The marker's value (any present value marks; one byte). */
const MARKER_VALUE: Buffer = Buffer.from([1]);

/** What a restore does about derived entries; decided at its first record. */
const enum RestoreMode {
  /** No record restored yet. */
  NotStarted,
  /** Derived entries were valid (or the store empty) and a deriver keeps them in step: the marker stays. */
  Deriving,
  /** The marker was deleted: the owner rebuilds the derived entries at open. */
  Invalidated,
}

/**
 * Wraps a store so that every put and delete is also appended to the task's changelog
 * collector. Restoring goes straight to the inner store: replaying the changelog must not
 * write the changelog again.
 */
export class LoggedKeyValueStore implements KeyValueStore {
  private restoreMode = RestoreMode.NotStarted;
  private deriver: RestoreDeriver | undefined;
  /** @internal Restored records the deriver saw (tests: derived entries were kept in step, not rebuilt). */
  derivedRecords = 0;
  constructor(
    private readonly inner: KeyValueStore,
    private readonly changelog: ChangelogCollector,
  ) {}

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

  put(key: Buffer, value: Buffer, id?: string): void {
    this.inner.put(key, value, id);
    this.changelog.append({ store: this.inner.name, key, value });
  }

  delete(key: Buffer, id?: string): boolean {
    // No tombstone for a key that was not there: the changelog gets exactly the effective deletes.
    // The inner store says whether it removed the key, so no `get` first (a second lookup per
    // delete, a measurable share of closing 100K windows).
    if (!this.inner.delete(key, id)) return false;
    this.changelog.append({ store: this.inner.name, key, value: null });
    return true;
  }

  range(from: Buffer | undefined, to: Buffer | undefined): IterableIterator<KeyValueEntry> {
    return this.inner.range(from, to);
  }

  all(): IterableIterator<KeyValueEntry> {
    return this.inner.all();
  }

  unordered(): IterableIterator<KeyValueEntry> {
    return this.inner.unordered ? this.inner.unordered() : this.inner.all();
  }

  /** The inner store's, when it has one (a getter, so that callers see it absent otherwise). */
  get unorderedById(): (() => IterableIterator<[string, Buffer]>) | undefined {
    const inner = this.inner;
    return inner.unorderedById && (() => inner.unorderedById!());
  }

  /** The inner store's, when it has one: the changelog still gets every write. */
  get serveFrom(): ((source: EntrySource) => void) | undefined {
    const inner = this.inner;
    return inner.serveFrom && ((source: EntrySource) => inner.serveFrom!(source));
  }

  /**
   * Restores keep derived entries in step through `deriver` when they were valid before the
   * restore (the marker present) or the store was empty (nothing derived to be wrong): the marker
   * then stays, and the owner trusts the entries at open — a full restore builds them as it goes
   * (each record is seen once anyway), a tail restore updates them for the tail's records only.
   * Otherwise (no deriver, or entries already stale) the restore deletes the marker as before.
   */
  deriveWhileRestoring(deriver: RestoreDeriver): void {
    this.deriver = deriver;
  }

  restore(records: Iterable<ChangelogRecord>): void {
    if (this.restoreMode === RestoreMode.Invalidated) {
      this.inner.restore(records);
      return;
    }
    if (!this.deriver) {
      this.inner.restore(this.invalidatingDerived(records));
      return;
    }
    // Through the batch path: a deriver runs after each record is applied, which a store that
    // applies records in chunks (LMDB's restore) would not allow. Applied when this returns.
    this.restoreBatch(
      (apply) => {
        for (const r of records) apply(r.key, r.value);
      },
      { immediate: true },
    );
  }

  restoreBatch(batch: ChangelogBatch, options?: RestoreBatchOptions): void {
    const inner = this.inner;
    if (this.restoreMode === RestoreMode.Invalidated) {
      applyChangelogBatch(inner, batch, options);
      return;
    }
    const applyAll: ChangelogBatch = (apply) =>
      batch((key, value) => {
        if (this.restoreMode === RestoreMode.NotStarted) this.startRestore(apply);
        apply(key, value);
        if (this.restoreMode === RestoreMode.Deriving) {
          this.derivedRecords++;
          this.deriver!(key, value, inner);
        }
      });
    if (inner.restoreBatch || !this.deriver) applyChangelogBatch(inner, applyAll, this.deriver?.readsStore ? { ...options, immediate: true } : options);
    // A store without the batch path applies collected records in chunks: one at a time here, so
    // that the deriver sees each record applied.
    else applyAll((key, value) => inner.restore([{ key: Buffer.from(key), value: value === null ? null : Buffer.from(value) }]));
  }

  /**
   * At the first restored record (an empty restore changes nothing): keep derived entries in step
   * when they are valid — the marker present, or the store empty — else delete the marker.
   */
  private startRestore(apply: ChangelogApply): void {
    const inner = this.inner;
    const valid = this.deriver !== undefined && (inner.size === 0 || inner.get(DERIVED_ENTRIES_VALID) !== undefined);
    this.restoreMode = valid ? RestoreMode.Deriving : RestoreMode.Invalidated;
    apply(DERIVED_ENTRIES_VALID, valid ? MARKER_VALUE : null);
  }

  /** The records, after a tombstone of DERIVED_ENTRIES_VALID when there is at least one (once per store). */
  private *invalidatingDerived(records: Iterable<ChangelogRecord>): Generator<ChangelogRecord> {
    for (const r of records) {
      if (this.restoreMode === RestoreMode.NotStarted) {
        this.restoreMode = RestoreMode.Invalidated;
        yield { key: DERIVED_ENTRIES_VALID, value: null };
      }
      yield r;
    }
  }

  restoreSettled(): Promise<void> {
    return this.inner.restoreSettled?.() ?? Promise.resolve();
  }

  flush(): void | Promise<void> {
    return this.inner.flush();
  }

  close(): void {
    this.inner.close();
  }
}
