import { TimeHeap } from '../time-heap.js';

/**
 * The expiry timers of one side of a stream-stream join while they are held in the heap (its
 * cache is unbounded): a min-heap of distinct expiry times with, per time, the key groups due
 * then — the groups themselves, not their ids, so firing a timer needs no lookup by key.
 *
 * Cheaper than a TimerQueue of ids because the join guarantees what the queue would otherwise
 * check: it adds a (time, group) pair only for the first record of its (key, event time), and a
 * group lives until its last timer has fired (it empties only then), so a pair is never added
 * twice and a group in the queue is always the key's current one. Records mostly arrive in time
 * order, so the list of the last time added is kept at hand: most adds are one array push.
 */
export class ExpiryQueue<G extends { readonly id: string }> {
  private readonly heap = new TimeHeap();
  private readonly due = new Map<number, G[]>();
  private items = 0;
  private lastTime = NaN;
  private lastList: G[] | undefined;

  get next(): number {
    return this.heap.min;
  }

  /** (time, group) pairs held. */
  get entries(): number {
    return this.items;
  }

  /** Adds a timer; the caller guarantees the pair is not in the queue already. */
  add(time: number, group: G): void {
    this.items++;
    if (time === this.lastTime) {
      this.lastList!.push(group);
      return;
    }
    let list = this.due.get(time);
    if (list === undefined) {
      list = [];
      this.due.set(time, list);
      this.heap.push(time);
    }
    list.push(group);
    this.lastTime = time;
    this.lastList = list;
  }

  /**
   * Removes and returns the groups of the earliest time <= limit; with `sorted`, in the byte order
   * of their store keys (what fires then does not depend on the order the timers were set in,
   * which a restore changes).
   */
  popDue(limit: number, sorted: boolean): { time: number; groups: G[] } | undefined {
    if (this.heap.size === 0 || this.heap.min > limit) return undefined;
    const time = this.heap.pop();
    const groups = this.due.get(time)!;
    this.due.delete(time);
    if (time === this.lastTime) {
      this.lastTime = NaN;
      this.lastList = undefined;
    }
    this.items -= groups.length;
    if (sorted && groups.length > 1) groups.sort(byStoreKey);
    return { time, groups };
  }

  clear(): void {
    this.heap.clear();
    this.due.clear();
    this.items = 0;
    this.lastTime = NaN;
    this.lastList = undefined;
  }
}

/** The order of store keys `[u32 length][key]...`: by length, then bytes (ids are latin1 key bytes). */
function byStoreKey(a: { readonly id: string }, b: { readonly id: string }): number {
  const x = a.id;
  const y = b.id;
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}
