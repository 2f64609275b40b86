import { keyPrefix, keyWithTime, prefixEnd, splitKeyWithTime } from './bytes.js';
import type { KeyValueStore } from './kv-store.js';

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
