import type { KeyValueStore } from '../state/kv-store.js';
import { TimeHeap } from './time-heap.js';
import { splitTimeIndexKey, TIME_INDEX_PREFIX, TIME_INDEX_VALUE, timeIndexFrom, timeIndexKey } from '../state/window-store.js';

/**
 * A min-heap of distinct timestamps with, per timestamp, the items due then. Window operators keep
 * one (close time -> windows closing then), processors one per time domain (joins keep their
 * key groups in an ExpiryQueue, or in the store's time index behind a bounded cache). Items are
 * strings (latin1 store keys), so the heap can be rebuilt from a store when a task is restored.
 */
export class TimerQueue {
  private readonly heap = new TimeHeap();
  private readonly due = new Map<number, Set<string>>();
  private items = 0;

  get next(): number {
    return this.heap.min;
  }

  get size(): number {
    return this.due.size;
  }

  /** (time, item) entries held: what the queue costs in memory. */
  get entries(): number {
    return this.items;
  }

  add(time: number, item: string): void {
    let set = this.due.get(time);
    if (!set) {
      set = new Set();
      this.due.set(time, set);
      this.heap.push(time);
    }
    if (!set.has(item)) {
      set.add(item);
      this.items++;
    }
  }

  remove(time: number, item: string): void {
    const set = this.due.get(time);
    if (set && set.delete(item)) this.items--;
    // The heap slot stays; popDue skips times whose set became empty.
  }

  /**
   * Removes and returns the items of the earliest time <= limit, sorted (by default in byte order
   * of latin1 keys), so what fires does not depend on the order the timers were set in.
   */
  popDue(limit: number, order?: (a: string, b: string) => number): { time: number; items: string[] } | undefined {
    while (this.heap.size > 0 && this.heap.min <= limit) {
      const time = this.heap.pop();
      const set = this.due.get(time);
      this.due.delete(time);
      if (set) this.items -= set.size;
      if (set && set.size > 0) return { time, items: [...set].sort(order) };
    }
    return undefined;
  }

  clear(): void {
    this.heap.clear();
    this.due.clear();
    this.items = 0;
  }
}

/** Index entries a `StoreTimerIndex.takeDue` returns at most: the memory a firing pass holds at once. */
export const DUE_CHUNK = 1024;

/**
 * Timers kept in a store's time index (`[close time][key]`, see window-store.ts) instead of the
 * heap: for state larger than memory, where a TimerQueue would hold one string per key. Adding a
 * timer is a store put (not changelogged: the index is rebuilt after a restore), firing is a range
 * scan up to the watermark that deletes what it returns; in memory there is only the earliest
 * time, cached.
 */
export class StoreTimerIndex {
  /** The earliest indexed time; undefined when it must be read from the store again. */
  private earliest: number | undefined;
  private readonly store: KeyValueStore;

  /** `store`: the window store (its unlogged side is written). */
  constructor(store: KeyValueStore) {
    this.store = store.unlogged ?? store;
  }

  /** The earliest time with an entry (Infinity: none): one seek when not known. */
  get next(): number {
    if (this.earliest === undefined) {
      this.earliest = Infinity;
      for (const e of this.store.range(FIRST, INDEX_END)) {
        this.earliest = splitTimeIndexKey(e.key).time;
        break;
      }
    }
    return this.earliest;
  }

  /** `key`: the record key bytes, or their latin1 string (an operator's key id). Adding an entry that exists writes it again: callers avoid that. */
  add(time: number, key: Uint8Array | string): void {
    this.store.put(timeIndexKey(time, key), TIME_INDEX_VALUE);
    if (this.earliest !== undefined && time < this.earliest) this.earliest = time;
  }

  /**
   * Removes and returns up to `max` entries with time <= limit, in (time, store key) order — the
   * order of TimerQueue.popDue with byStoreKey. Call again until it returns none.
   */
  takeDue(limit: number, max = DUE_CHUNK): Array<{ time: number; key: Buffer }> {
    const out: Array<{ time: number; key: Buffer }> = [];
    const keys: Buffer[] = [];
    if (this.next > limit) return out;
    const end = limit >= MAX_TIME ? INDEX_END : timeIndexFrom(Math.floor(limit) + 1);
    for (const e of this.store.range(FIRST, end)) {
      keys.push(e.key);
      out.push(splitTimeIndexKey(e.key));
      if (out.length >= max) break;
    }
    for (const k of keys) this.store.delete(k);
    this.earliest = undefined;
    return out;
  }

  /** Deletes every entry with time <= limit without returning it (windows a restored watermark had closed). */
  dropDue(limit: number): number {
    let n = 0;
    for (let due = this.takeDue(limit); due.length > 0; due = this.takeDue(limit)) n += due.length;
    return n;
  }

  /** Entries in the index (a scan: tests and diagnostics). */
  count(): number {
    let n = 0;
    for (const _ of this.store.range(FIRST, INDEX_END)) n++;
    return n;
  }

  /** Whether the store's index matches its windows (the marker is present: no restore since it was built). */
  get complete(): boolean {
    return this.store.get(TIME_INDEX_PREFIX) !== undefined;
  }

  /** Marks the index as matching the windows (after building it). */
  markComplete(): void {
    this.store.put(TIME_INDEX_PREFIX, TIME_INDEX_VALUE);
  }

  /** Deletes the whole index and its marker (before a rebuild, or for an in-memory timer queue). */
  deleteAll(): number {
    let n = 0;
    // A chunk at a time: deleting while a range is open makes an on-disk store re-seek per entry.
    for (;;) {
      const keys: Buffer[] = [];
      for (const e of this.store.range(TIME_INDEX_PREFIX, INDEX_END)) {
        keys.push(e.key);
        if (keys.length >= DUE_CHUNK) break;
      }
      for (const k of keys) this.store.delete(k);
      n += keys.length;
      if (keys.length < DUE_CHUNK) break;
    }
    this.earliest = undefined;
    return n;
  }
}

/** Times at or beyond this clamp in the index key (see bytes.ts); a limit this large takes every entry. */
const MAX_TIME = 2 ** 52 - 1;
/** The first possible index entry (after the marker, which is the bare prefix). */
const FIRST = timeIndexFrom(-MAX_TIME - 1);
/** The end of the index key space: none (the prefix is all 0xff), an open range end. */
const INDEX_END: Buffer | undefined = undefined;
