import { keyPrefix, keyWithTime, prefixEnd, readTimestamp, readUInt32Latin1, splitKeyWithTime, TIMESTAMP_BYTES, writeTimestamp } from './bytes.js';
import type { KeyValueEntry, KeyValueStore } from './kv-store.js';
import { DERIVED_ENTRIES_VALID } from './logged-store.js';

/**
 * Windowed state on top of any KeyValueStore: entries keyed by (record key, window start), laid
 * out as `[len][key][start]` so that all windows of one key are adjacent and sorted by start.
 */
export class WindowStore {
  constructor(readonly store: KeyValueStore) {}

  static storeKey(key: Buffer, start: number): Buffer {
    return keyWithTime(key, start);
  }

  static split(storeKey: Buffer): { key: Buffer; start: number } {
    const { key, time } = splitKeyWithTime(storeKey);
    return { key, start: time };
  }

  get(key: Buffer, start: number): Buffer | undefined {
    return this.store.get(keyWithTime(key, start));
  }

  put(key: Buffer, start: number, value: Buffer): void {
    this.store.put(keyWithTime(key, start), value);
  }

  delete(key: Buffer, start: number): void {
    this.store.delete(keyWithTime(key, start));
  }

  /** Windows of `key` with from <= start <= to, by start. */
  *fetch(key: Buffer, from: number, to: number): IterableIterator<{ start: number; value: Buffer }> {
    for (const e of this.store.range(keyWithTime(key, from), keyWithTime(key, to + 1))) {
      yield { start: splitKeyWithTime(e.key).time, value: e.value };
    }
  }

  /** Every window of every key: key order, then start order. */
  *all(): IterableIterator<{ key: Buffer; start: number; value: Buffer }> {
    for (const e of this.store.all()) {
      const { key, time } = splitKeyWithTime(e.key);
      yield { key, start: time, value: e.value };
    }
  }
}

/**
 * Session state: entries keyed by (record key, session start); the value holds the session end
 * and the aggregate (encoded by the caller). Finding the sessions a new record may merge with is
 * a scan of the key's sessions, which are few because closed sessions are removed.
 */
export class SessionStore {
  constructor(readonly store: KeyValueStore) {}

  put(key: Buffer, start: number, value: Buffer): void {
    this.store.put(keyWithTime(key, start), value);
  }

  delete(key: Buffer, start: number): void {
    this.store.delete(keyWithTime(key, start));
  }

  /** All sessions of `key`, by start. */
  *sessions(key: Buffer): IterableIterator<{ start: number; value: Buffer }> {
    const prefix = keyPrefix(key);
    for (const e of this.store.range(prefix, prefixEnd(prefix))) {
      yield { start: splitKeyWithTime(e.key).time, value: e.value };
    }
  }
}

/**
 * The time index of a window store: a second key space in the same store, `[ff ff ff ff][close
 * time][u32 length][key]` -> one byte, one entry per (window close time, record key) with an open
 * window. It sorts after every window entry (those begin with a key length, which is < 2^32 - 1),
 * so `windowEntries()` is a range scan that ends where it begins, and firing the windows due at a
 * watermark W is a range scan of the index up to W: no timer per key in memory.
 *
 * The index is derived from the windows and not changelogged (`KeyValueStore.unlogged`): on disk it
 * is written in the same LMDB transaction as the windows, so the two agree at every flush; after a
 * restore from the changelog it is rebuilt from the windows. The marker entry (the bare prefix,
 * logged-store.ts's DERIVED_ENTRIES_VALID) says the index matches the windows: a restore that
 * applies any record deletes it, and a store without it has its index rebuilt at open. Why not
 * changelog the index: one more changelog record per window opened and closed doubled the
 * changelog and the records a restore reads (a million keys: two million records), while a
 * rebuild is one scan of the windows that a restore has just written anyway.
 */
export const TIME_INDEX_PREFIX: Buffer = DERIVED_ENTRIES_VALID;
/** The value of every index entry and of the marker (a present, non-null value that costs one byte). */
export const TIME_INDEX_VALUE: Buffer = Buffer.from([1]);

/** `[ff ff ff ff][time]`: index entries due at `time` or later sort at or after this. */
export function timeIndexFrom(time: number): Buffer {
  const out = Buffer.allocUnsafe(4 + TIMESTAMP_BYTES);
  TIME_INDEX_PREFIX.copy(out, 0);
  writeTimestamp(out, 4, time);
  return out;
}

/** The index entry of `key` due at `time`: the record key bytes, or their latin1 string (one byte per char). */
export function timeIndexKey(time: number, key: Uint8Array | string): Buffer {
  const out = Buffer.allocUnsafe(4 + TIMESTAMP_BYTES + 4 + key.length);
  TIME_INDEX_PREFIX.copy(out, 0);
  writeTimestamp(out, 4, time);
  out.writeUInt32BE(key.length, 4 + TIMESTAMP_BYTES);
  if (typeof key === 'string') out.write(key, 4 + TIMESTAMP_BYTES + 4, key.length, 'latin1');
  else out.set(key, 4 + TIMESTAMP_BYTES + 4);
  return out;
}

/** Splits an index entry's key: its time and the record key bytes (a view into `indexKey`). */
export function splitTimeIndexKey(indexKey: Buffer): { time: number; key: Buffer } {
  return { time: readTimestamp(indexKey, 4), key: indexKey.subarray(4 + TIMESTAMP_BYTES + 4) };
}

/** True for keys of the time index (its entries and its marker), false for window entries. */
export function isTimeIndexKey(storeKey: Buffer): boolean {
  return storeKey.length >= 4 && storeKey.readUInt32BE(0) === 0xffffffff;
}

/** isTimeIndexKey of a store key held as its latin1 string (KeyValueStore.unorderedById). */
export function isTimeIndexId(id: string): boolean {
  return id.length >= 4 && readUInt32Latin1(id, 0) === 0xffffffff;
}

/** The window entries of a store, without its time index: what readers of window state scan. */
export function windowEntries(store: KeyValueStore): IterableIterator<KeyValueEntry> {
  return store.range(undefined, TIME_INDEX_PREFIX);
}
