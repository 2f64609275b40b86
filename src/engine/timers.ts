/**
 * A min-heap of distinct timestamps with, per timestamp, the items due then. Window operators keep
 * one (close time -> windows closing then), joins one per side (expiry time -> buffered records),
 * processors one per time domain. Items are strings (latin1 store keys), so the heap can be rebuilt
 * from a store when a task is restored.
 */
export class TimerQueue {
  private readonly heap: number[] = [];
  private readonly due = new Map<number, Set<string>>();

  get next(): number {
    return this.heap.length === 0 ? Infinity : this.heap[0]!;
  }

  get size(): number {
    return this.due.size;
  }

  add(time: number, item: string): void {
    let set = this.due.get(time);
    if (!set) {
      set = new Set();
      this.due.set(time, set);
      this.push(time);
    }
    set.add(item);
  }

  remove(time: number, item: string): void {
    const set = this.due.get(time);
    if (set) set.delete(item);
    // The heap slot stays; popDue skips times whose set became empty.
  }

  /**
   * Removes and returns the items of the earliest time <= limit, sorted (by default in byte order
   * of latin1 keys), so what fires does not depend on the order the timers were set in.
   */
  popDue(limit: number, order?: (a: string, b: string) => number): { time: number; items: string[] } | undefined {
    while (this.heap.length > 0 && this.heap[0]! <= limit) {
      const time = this.pop();
      const set = this.due.get(time);
      this.due.delete(time);
      if (set && set.size > 0) return { time, items: [...set].sort(order) };
    }
    return undefined;
  }

  clear(): void {
    this.heap.length = 0;
    this.due.clear();
  }

  private push(t: number): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]! <= t) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = t;
  }

  private pop(): number {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && h[r]! < h[l]! ? r : l;
        if (h[c]! >= last) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
