/**
 * Keyed state stores. Imports nothing of the engine: the engine builds typed state on top.
 */
export type { ChangelogApply, ChangelogBatch, ChangelogCollector, ChangelogEntry, ChangelogRecord } from './changelog.js';
export { applyChangelogBatch } from './changelog.js';
export type { EntrySource, KeyValueEntry, KeyValueStore, KeyValueStoreFactory, RestoreDeriver } from './kv-store.js';
export { timeIndexDeriver, type WindowGeometry } from './time-index-restore.js';
export { InMemoryKeyValueStore } from './memory-store.js';
export { LoggedKeyValueStore } from './logged-store.js';
export { DEFAULT_CACHE_MAX_BYTES, RecordCache, type CachedEntry } from './record-cache.js';
export { SessionStore, WindowStore } from './window-store.js';
export {
  compareBytes,
  keyPrefix,
  keyWithTime,
  prefixEnd,
  readTimestamp,
  splitKeyWithTime,
  writeTimestamp,
  TIMESTAMP_BYTES,
} from './bytes.js';
