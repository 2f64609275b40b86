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
