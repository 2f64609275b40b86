import type { KeyValueStore, RestoreBatchOptions } from './kv-store.js';

/**
 * Changelog: every write to a logged store becomes one entry. The runtime writes the entries of
 * a task to the store's compacted changelog topic (partition = the task's partition) in the same
 * transaction as the task's outputs and input offsets, so after a crash a store rebuilt from its
 * changelog is exactly the store that produced the committed outputs.
 */
export interface ChangelogEntry {
  /** The store's name (stable across topology changes; the changelog topic is derived from it). */
  readonly store: string;
  readonly key: Buffer;
  /** null deletes the key (a tombstone in the compacted topic). */
  readonly value: Buffer | null;
}

/** Receives the changelog entries of one task's stores, in write order. */
export interface ChangelogCollector {
  append(entry: ChangelogEntry): void;
}

/** A key/value pair read back from a changelog topic, to rebuild a store. */
export interface ChangelogRecord {
  readonly key: Buffer;
  readonly value: Buffer | null;
}

/**
 * Applies one changelog record to a store being restored; a null value deletes the key. `key` and
 * `value` are views of a fetched buffer, valid only during the call: the store copies what it
 * keeps (this is what spares the restore an object and two copies per record).
 */
export type ChangelogApply = (key: Buffer, value: Buffer | null) => void;

/** One batch of changelog records (a fetched batch): calls `apply` for each, in offset order. */
export type ChangelogBatch = (apply: ChangelogApply) => void;

/**
 * Applies a batch to a store: through its fast path when it has one, else as copied
 * ChangelogRecords through `restore` (stores written elsewhere, e.g. tests' wrappers).
 */
export function applyChangelogBatch(store: KeyValueStore, batch: ChangelogBatch, options?: RestoreBatchOptions): void {
  if (store.restoreBatch) {
    store.restoreBatch(batch, options);
    return;
  }
  const records: ChangelogRecord[] = [];
  batch((key, value) => records.push({ key: Buffer.from(key), value: value === null ? null : Buffer.from(value) }));
  if (records.length > 0) store.restore(records);
}
