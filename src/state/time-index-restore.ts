import { keyWithTime, readTimestamp, TIMESTAMP_BYTES, writeTimestamp } from './bytes.js';
import type { KeyValueStore, RestoreDeriver } from './kv-store.js';
import { isTimeIndexKey, TIME_INDEX_PREFIX, TIME_INDEX_VALUE } from './window-store.js';

/**
 * Which windows a stored slot of a window store belongs to, in numbers (the store knows nothing
 * of window definitions): windows start at multiples of `advance`, are `size` long and close at
 * start + `close` (size + grace).
 */
export interface WindowGeometry {
  readonly size: number;
  readonly advance: number;
  readonly close: number;
  /**
   * Length of a stored slot when slots are panes (every window is the merge of the size / pane
   * panes it covers, pane = gcd(size, advance)); undefined when every slot is one window.
   */
  readonly pane: number | undefined;
}

/**
 * The time index of a window store (window-store.ts), kept in step with the windows while the
 * store is restored from its changelog, so that a restored store's timers need no rebuild at open
 * (one more scan of every window, and for a tail restore a rebuild of the whole index for a few
 * changed windows). Per restored slot (key, start):
 * - put: an entry (window close, key) for every window containing the slot;
 * - delete: the entry of each window containing the slot goes when the key has no other slot in
 *   that window (one get per other pane of the window; none for tumbling windows, whose window
 *   is one pane, or when slots are windows).
 * The result is the index `open()` would build from the restored windows, plus entries of windows
 * the restored watermark already closed, which open() drops as it does for a trusted index.
 * Entries are idempotent (a put of an entry that exists writes the same bytes), so replaying
 * records a store reflects already changes nothing.
 */
export function timeIndexDeriver(g: WindowGeometry): RestoreDeriver {
  const { size, advance, close, pane } = g;
  /** Whether a window holds more than one slot of a key (else deleting the slot ends the window). */
  const manySlots = pane !== undefined && pane !== size;
  // One scratch key for index entries: stores copy keys (the in-memory store into a string,
  // LMDB into its own buffers), so the entry need not be a Buffer of its own.
  let scratch = Buffer.allocUnsafe(64);
  const indexKey = (time: number, storeKey: Buffer, keyLen: number): Buffer => {
    const n = 4 + TIMESTAMP_BYTES + 4 + keyLen;
    if (scratch.length < n) scratch = Buffer.allocUnsafe(Math.max(n, scratch.length * 2));
    TIME_INDEX_PREFIX.copy(scratch, 0);
    writeTimestamp(scratch, 4, time);
    // The composite key starts with [u32 length][key]: the index entry's tail is those bytes.
    storeKey.copy(scratch, 4 + TIMESTAMP_BYTES, 0, 4 + keyLen);
    return scratch.subarray(0, n);
  };
  const derive = (storeKey: Buffer, value: Buffer | null, store: KeyValueStore): void => {
    if (isTimeIndexKey(storeKey)) return; // the marker (and no index entry is ever changelogged)
    const keyLen = storeKey.readUInt32BE(0);
    const start = readTimestamp(storeKey, 4 + keyLen);
    if (pane === undefined) {
      // The slot is the window.
      if (value === null) store.delete(indexKey(start + close, storeKey, keyLen));
      else store.put(indexKey(start + close, storeKey, keyLen), TIME_INDEX_VALUE);
      return;
    }
    const first = Math.ceil((start - size + 1) / advance) * advance;
    const last = Math.floor(start / advance) * advance;
    for (let w = first; w <= last; w += advance) {
      if (value !== null) store.put(indexKey(w + close, storeKey, keyLen), TIME_INDEX_VALUE);
      else if (!manySlots || !hasSlot(store, storeKey.subarray(4, 4 + keyLen), w, w + size, pane)) {
        store.delete(indexKey(w + close, storeKey, keyLen));
      }
    }
  };
  // Only a delete where a window holds several slots of a key reads the store (hasSlot).
  return Object.assign(derive, { readsStore: manySlots });
}

/** Whether `key` has a slot (a pane) starting in [from, to). */
function hasSlot(store: KeyValueStore, key: Buffer, from: number, to: number, pane: number): boolean {
  for (let s = from; s < to; s += pane) if (store.get(keyWithTime(key, s)) !== undefined) return true;
  return false;
}

/**
 * The time index of a stream-stream join side's store (stream-stream-join.ts: buffered records
 * keyed [u32 length][key][event time][u32 sequence], an index entry (event time + `after`, key)
 * per key and event time), kept in step while the store is restored, as timeIndexDeriver does for
 * windows: a put adds the entry of its key and time, a delete removes it. A join deletes buffered
 * records only when they expire, and then every record of the key up to that time goes in the same
 * flush, so no record left needs the entry; an entry that stayed behind for records already gone
 * would only fire into nothing (expiry finds no record), never expire one early. Reads nothing.
 */
export function expiryIndexDeriver(after: number): RestoreDeriver {
  let scratch = Buffer.allocUnsafe(64);
  return (storeKey: Buffer, value: Buffer | null, store: KeyValueStore): void => {
    if (isTimeIndexKey(storeKey)) return; // the marker
    const keyLen = storeKey.readUInt32BE(0);
    const n = 4 + TIMESTAMP_BYTES + 4 + keyLen;
    if (scratch.length < n) scratch = Buffer.allocUnsafe(Math.max(n, scratch.length * 2));
    TIME_INDEX_PREFIX.copy(scratch, 0);
    writeTimestamp(scratch, 4, readTimestamp(storeKey, 4 + keyLen) + after);
    storeKey.copy(scratch, 4 + TIMESTAMP_BYTES, 0, 4 + keyLen);
    const entry = scratch.subarray(0, n);
    if (value === null) store.delete(entry);
    else store.put(entry, TIME_INDEX_VALUE);
  };
}
