/**
 * A binary min-heap of timestamps: plain numbers in one array, no object per entry. Timer queues
 * keep one entry per distinct due time and their items beside it, keyed by that time.
 */
export class TimeHeap {
  private readonly h: number[] = [];

  get size(): number {
    return this.h.length;
  }

  /** The earliest time held; Infinity when empty. */
  get min(): number {
    return this.h.length === 0 ? Infinity : this.h[0]!;
  }

  push(t: number): void {
    const h = this.h;
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

  /** Removes and returns the earliest time; the heap must not be empty. */
  pop(): number {
    const h = this.h;
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

  clear(): void {
    this.h.length = 0;
  }
}
