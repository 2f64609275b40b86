import type { ChangelogBatch, ChangelogRecord } from './changelog.js';

/** One entry read from a store. Key and value must not be mutated by the reader. */
export interface KeyValueEntry {
  readonly key: Buffer;
  readonly value: Buffer;
}

/**
 * A byte-oriented, ordered key/value store owned by one task. Keys sort by their bytes (unsigned,
 * lexicographic); range scans return keys in that order.
 *
 * The interface is synchronous on purpose: operators call it on the hot path, once per record,
 * and a promise per record is what the engine avoids. Embedded stores (this in-memory one, LMDB)
 * read synchronously; an LMDB store buffers its writes and makes them durable in `flush()`,
 * which the runtime calls (and awaits) before it commits the task.
 *
 * Stores know nothing of changelogs: `LoggedKeyValueStore` wraps any store and records writes.
 */
export interface KeyValueStore {
  readonly name: string;
  get(key: Buffer): Buffer | undefined;
  /**
   * `id`, optional: `key.toString('latin1')`, when the caller keeps it (a window operator writes
   * the same slot key at every commit). A store keyed by strings (in memory) then makes no string
   * and hashes none per write; other stores ignore it. Wrappers pass it on.
   */
  put(key: Buffer, value: Buffer, id?: string): void;
  /** Removes the key; true when it was there (a logged store writes a tombstone only then). `id` as in put. */
  delete(key: Buffer, id?: string): boolean;
  /** Entries with from <= key < to, in key order; an absent bound is open. */
  range(from: Buffer | undefined, to: Buffer | undefined): IterableIterator<KeyValueEntry>;
  all(): IterableIterator<KeyValueEntry>;
  /**
   * Every entry in no particular order (optional; callers fall back to `all()`): for readers that
   * load a whole store and need no order. The in-memory store iterates its hash map and builds no
   * sorted index for it (sorting a million keys is most of a restored store's open).
   */
  unordered?(): IterableIterator<KeyValueEntry>;
  /**
   * As `unordered()`, each key as its latin1 string (one char per byte) instead of a Buffer
   * (optional): a store keyed by such strings (in memory) hands out its own map keys, so loading
   * a million entries makes no Buffer per key.
   */
  unorderedById?(): IterableIterator<[id: string, value: Buffer]>;
  readonly size: number;
  /**
   * Bytes of decoded state an operator may cache in front of this store (see record-cache.ts);
   * undefined: no bound. On-disk stores set one, so that state larger than memory stays on disk;
   * in-memory stores leave it undefined (their entries are in the heap anyway).
   */
  readonly cacheMaxBytes?: number;
  /**
   * The same store without its changelog (a logged store's inner store), for entries a store
   * derives from its logged ones and rebuilds after a restore (a window store's time index,
   * window-store.ts). Undefined: the store is not logged; write to it directly.
   */
  readonly unlogged?: KeyValueStore;
  /**
   * Keeps entries derived from the logged ones (a window store's time index) in step with what a
   * restore applies, instead of having their owner rebuild them afterwards (optional: logged
   * stores). Register before the restore; see RestoreDeriver and logged-store.ts.
   */
  deriveWhileRestoring?(deriver: RestoreDeriver): void;
  /** Applies changelog records in order (null value = delete), without logging them again. */
  restore(records: Iterable<ChangelogRecord>): void;
  /**
   * The restore's fast path (optional; applyChangelogBatch() in changelog.ts falls back to
   * `restore`): applies one fetched batch of changelog records, in order, from views of the fetched
   * bytes (the store copies what it keeps), without an object per record.
   */
  restoreBatch?(batch: ChangelogBatch, options?: RestoreBatchOptions): void;
  /**
   * Resolves once every record given to `restoreBatch` is in the store (optional; absent: at once).
   * LMDB applies restored records on lmdb-js's write thread while the restore reads on: the
   * runtime awaits this after a restore, before the store is read or written otherwise.
   */
  restoreSettled?(): Promise<void>;
  /**
   * Hands the store's entries over to `source`, an operator that holds all of them as JS values
   * (optional: in-memory stores). From then on the store keeps nothing: reads are answered by
   * `source`, writes only reach the changelog (a logged store), and a delete reports true — the
   * owner deletes only entries it wrote. An in-memory store behind an operator's unbounded cache
   * was a second copy of the state, kept only so it could be read (Flink's heap state backend
   * keeps one copy); keeping it cost a hash-map insert and delete per entry, and its garbage.
   * Call it after the restore, once the operator has loaded the entries; a restore after it throws.
   */
  serveFrom?(source: EntrySource): void;
  /** Makes writes durable (no-op in memory). Called before the task commits. */
  flush(): void | Promise<void>;
  close(): void;
}

/**
 * What a store handed over (KeyValueStore.serveFrom) reads: its owner's entries, encoded on
 * demand as the owner would write them at a flush.
 */
export interface EntrySource {
  get(key: Buffer): Buffer | undefined;
  /** Every entry, in no order. */
  entries(): IterableIterator<KeyValueEntry>;
  /**
   * The entries whose keys start with `prefix`, in any order, when the owner finds them without a
   * scan (a composite key's `[length][key]`: one key's windows or buffered records); undefined:
   * the store filters every entry.
   */
  withPrefix(prefix: Buffer): KeyValueEntry[] | undefined;
  readonly size: number;
}

/**
 * Every entry of a store in no particular order, each key as its latin1 string: the store's own
 * strings where it has them (`unorderedById`), else its entries' key Buffers turned into strings.
 * For readers that load a whole store into maps keyed by such strings.
 */
export function unorderedById(store: KeyValueStore): IterableIterator<[id: string, value: Buffer]> {
  return store.unorderedById?.() ?? keysAsIds(store.unordered?.() ?? store.all());
}

/** Entries with each key as its latin1 string (one char per byte). */
export function* keysAsIds(entries: Iterable<KeyValueEntry>): IterableIterator<[id: string, value: Buffer]> {
  for (const e of entries) yield [e.key.toString('latin1'), e.value];
}

/**
 * Called after each restored record was applied to `store` (the unlogged store: write derived
 * entries there), with the record's key and value (null: deleted). Key and value are views valid
 * during the call only. Writes of derived entries must be idempotent: a record may be applied to
 * a store that reflects it already (a restore from the start over local state).
 */
export type RestoreDeriver = ((key: Buffer, value: Buffer | null, store: KeyValueStore) => void) & {
  /** True when the deriver reads the store (gets): the restore must then apply each record at once. */
  readonly readsStore?: boolean;
};

/** How `restoreBatch` may apply a batch. */
export interface RestoreBatchOptions {
  /**
   * Every write visible when it is made — the batch's apply reads the store between writes (a
   * deriver's gets), or the caller reads right after without `restoreSettled()` (the synchronous
   * `restore`): a store must not defer the writes to another thread.
   */
  readonly immediate?: boolean;
}

/** Creates the store of a given name for a task; the runtime picks in-memory or on-disk. */
export type KeyValueStoreFactory = (name: string) => KeyValueStore;
