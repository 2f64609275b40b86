import { applyChangelogBatch, type ChangelogBatch, type ChangelogCollector, type ChangelogRecord } from './changelog.js';
import type { KeyValueEntry, KeyValueStore } from './kv-store.js';

/**
 * Wraps a store so that every put and delete is also appended to the task's changelog
 * collector. Restoring goes straight to the inner store: replaying the changelog must not
 * write the changelog again.
 */
export class LoggedKeyValueStore implements KeyValueStore {
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

  get(key: Buffer): Buffer | undefined {
    return this.inner.get(key);
  }

  put(key: Buffer, value: Buffer): void {
    this.inner.put(key, value);
    this.changelog.append({ store: this.inner.name, key, value });
  }

  delete(key: Buffer): void {
    if (this.inner.get(key) === undefined) return;
    this.inner.delete(key);
    this.changelog.append({ store: this.inner.name, key, value: null });
  }

  range(from: Buffer | undefined, to: Buffer | undefined): IterableIterator<KeyValueEntry> {
    return this.inner.range(from, to);
  }

  all(): IterableIterator<KeyValueEntry> {
    return this.inner.all();
  }

  restore(records: Iterable<ChangelogRecord>): void {
    this.inner.restore(records);
  }

  restoreBatch(batch: ChangelogBatch): void {
    applyChangelogBatch(this.inner, batch);
  }

  flush(): void | Promise<void> {
    return this.inner.flush();
  }

  close(): void {
    this.inner.close();
  }
}
