import type { KeyValueStore } from '../../state/kv-store.js';
import { keyWithTime, splitKeyWithTime } from '../../state/bytes.js';
import type { Aggregation } from '../aggregation.js';
import { decodeState, encodeState, type StoreKeyCodec } from '../codec.js';
import { Rec } from '../records.js';
import type { Windowed } from '../serdes.js';
import { TimerQueue } from '../timers.js';
import { firstWindowStart, lastWindowStart, type TimeWindows } from '../windows.js';
import { Operator } from './operator.js';

/**
 * Aggregates tumbling and hopping windows. One store entry per (key, window start) holding the
 * accumulator; a timer per window at `end + grace`. When the watermark reaches it the window
 * closes: under emit 'final' its result goes downstream then, and the entry is deleted either
 * way. Under emit 'update' every change goes downstream at once.
 *
 * Results are records keyed by Windowed<K> with timestamp end - 1 (the window's last instant),
 * so a downstream window of a larger size puts them in the right window.
 *
 * Windows already closed for the record (a hopping record whose earlier windows closed) are
 * skipped; the record is late only if all its windows closed, which LatenessOperator decides.
 */
export class WindowAggregateOperator extends Operator {
  private store!: KeyValueStore;
  private readonly timers = new TimerQueue();

  constructor(
    name: string,
    private readonly storeName: string,
    private readonly windows: TimeWindows,
    private readonly grace: number,
    private readonly emit: 'final' | 'update',
    private readonly agg: Aggregation,
    private readonly keyCodec: StoreKeyCodec,
  ) {
    super(name);
  }

  override open(): void {
    this.store = this.ctx.store(this.storeName);
    for (const e of this.store.all()) {
      const { time: start } = splitKeyWithTime(e.key);
      this.timers.add(start + this.windows.size + this.grace, e.key.toString('latin1'));
    }
  }

  override nextEventTime(): number {
    return this.timers.next;
  }

  process(rec: Rec): void {
    const w = this.watermark();
    const W = rec.stamp > w ? rec.stamp : w;
    const { size, advance } = this.windows;
    const ts = rec.timestamp;
    const kb = this.keyCodec.encode(rec.key);
    const last = lastWindowStart(this.windows, ts);
    // Compute every window's new accumulator before writing any, so a throwing user function
    // leaves no window half-updated.
    const updates: Array<{ sk: Buffer; start: number; acc: unknown; fresh: boolean }> = [];
    try {
      for (let start = firstWindowStart(this.windows, ts); start <= last; start += advance) {
        if (start + size + this.grace <= W) continue;
        const sk = keyWithTime(kb, start);
        const cur = this.store.get(sk);
        const acc = this.agg.add(cur ? decodeState(cur) : this.agg.init(), rec.value, rec.key);
        updates.push({ sk, start, acc, fresh: cur === undefined });
      }
    } catch (e) {
      this.ctx.deadLetter(rec, e, this.name);
      return;
    }
    for (const u of updates) {
      this.store.put(u.sk, encodeState(u.acc));
      if (u.fresh) {
        const close = u.start + size + this.grace;
        this.timers.add(close, u.sk.toString('latin1'));
        this.ctx.requestEventTime(close);
      }
      if (this.emit === 'update') {
        const key: Windowed<unknown> = { key: rec.key, start: u.start, end: u.start + size };
        this.forward(new Rec(key, this.agg.result(u.acc), u.start + size - 1, rec.headers, rec.stamp, rec.origin));
      }
    }
  }

  override onEventTime(watermark: number): void {
    const stamp = this.ctx.generatedStamp();
    for (let due = this.timers.popDue(watermark); due; due = this.timers.popDue(watermark)) {
      for (const item of due.items) {
        const sk = Buffer.from(item, 'latin1');
        const b = this.store.get(sk);
        if (!b) continue;
        this.store.delete(sk);
        if (this.emit !== 'final') continue;
        const { key, time: start } = splitKeyWithTime(sk);
        const end = start + this.windows.size;
        const wk: Windowed<unknown> = { key: this.keyCodec.decode(key), start, end };
        this.forward(new Rec(wk, this.agg.result(decodeState(b)), end - 1, Rec.NO_HEADERS, stamp, undefined));
      }
    }
  }
}
