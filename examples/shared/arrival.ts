import type { Random } from './random.js';

export interface DisorderOptions {
  /** Fraction of events that arrive late (0..1). */
  readonly fraction: number;
  /** The most an event may arrive after its event time, ms (of event time). */
  readonly maxDelayMs: number;
}

/**
 * Real sources deliver out of order: a phone reconnects, a log shipper retries. This takes events
 * in event-time order, delays a fraction of them by up to `maxDelayMs`, and yields them in arrival
 * order. An event is never yielded after another one whose event time is more than `maxDelayMs`
 * ahead of it, so an app whose `maxOutOfOrderness` is at least `maxDelayMs` never sees a late
 * record — which is what makes the examples' outputs exact and testable.
 */
export function* arrivalOrder<E>(events: Iterable<E>, eventTime: (e: E) => number, random: Random, o: DisorderOptions): Generator<E> {
  // A min-heap by arrival time; an event leaves once nothing still to come can arrive before it.
  const heap: Array<{ arrival: number; seq: number; e: E }> = [];
  let seq = 0;
  const less = (i: number, j: number) => heap[i]!.arrival < heap[j]!.arrival || (heap[i]!.arrival === heap[j]!.arrival && heap[i]!.seq < heap[j]!.seq);
  const swap = (i: number, j: number) => ([heap[i], heap[j]] = [heap[j]!, heap[i]!]);
  const push = (x: { arrival: number; seq: number; e: E }) => {
    heap.push(x);
    for (let i = heap.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!less(i, p)) break;
      swap(i, p);
      i = p;
    }
  };
  const pop = (): E => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(l, m)) m = l;
        if (r < heap.length && less(r, m)) m = r;
        if (m === i) break;
        swap(i, m);
        i = m;
      }
    }
    return top.e;
  };
  for (const e of events) {
    const t = eventTime(e);
    // Events come in event-time order: nothing later can arrive before t.
    while (heap.length > 0 && heap[0]!.arrival <= t) yield pop();
    const delay = random.chance(o.fraction) ? Math.floor(random.next() * o.maxDelayMs) : 0;
    push({ arrival: t + delay, seq: seq++, e });
  }
  while (heap.length > 0) yield pop();
}
