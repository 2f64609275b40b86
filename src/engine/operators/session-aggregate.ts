import type { KeyValueStore } from '../../state/kv-store.js';
import { keyWithTime, splitKeyWithTime } from '../../state/bytes.js';
import { SessionStore } from '../../state/window-store.js';
import type { Aggregation } from '../aggregation.js';
import { decodeState, encodeState, type StoreKeyCodec } from '../codec.js';
import { Rec } from '../records.js';
import type { Windowed } from '../serdes.js';
import { TimerQueue } from '../timers.js';
import type { SessionWindows } from '../windows.js';
import { Operator } from './operator.js';

/**
 * Aggregates session windows. A session is [first record, last record + gap); a record less
 * than `gap` away from a session's records joins it, and may merge several sessions into one
 * (their accumulators combined with the aggregation's merge). One store entry per (key,
 * session start) holding [end, accumulator]; a timer at end + grace closes the session.
 *
 * emit 'update' sends, for every change, a null (delete) for each session merged away and the
 * new session's value; 'final' sends one value per session when it closes.
 */
export class SessionAggregateOperator extends Operator {
  private store!: KeyValueStore;
  private sessions!: SessionStore;
  private readonly timers = new TimerQueue();

  constructor(
    name: string,
    private readonly storeName: string,
    private readonly windows: SessionWindows,
    private readonly grace: number,
    private readonly emit: 'final' | 'update',
    private readonly agg: Aggregation,
    private readonly keyCodec: StoreKeyCodec,
  ) {
    super(name);
  }

  override open(): void {
    this.store = this.ctx.store(this.storeName);
    this.sessions = new SessionStore(this.store);
    for (const e of this.store.all()) {
      const [end] = decodeState<[number, unknown]>(e.value);
      this.timers.add(end + this.grace, e.key.toString('latin1'));
    }
  }

  override nextEventTime(): number {
    return this.timers.next;
  }

  process(rec: Rec): void {
    const gap = this.windows.gap;
    const ts = rec.timestamp;
    const kb = this.keyCodec.encode(rec.key);
    const merged: Array<{ start: number; end: number; acc: unknown }> = [];
    for (const s of this.sessions.sessions(kb)) {
      const [end, acc] = decodeState<[number, unknown]>(s.value);
      if (s.start - gap < ts && ts < end) merged.push({ start: s.start, end, acc });
    }
    let start = ts;
    let end = ts + gap;
    let acc: unknown;
    try {
      acc = undefined;
      for (const m of merged) {
        if (m.start < start) start = m.start;
        if (m.end > end) end = m.end;
        acc = acc === undefined ? m.acc : this.mergeAcc(acc, m.acc, rec.key);
      }
      acc = this.agg.add(acc === undefined ? this.agg.init() : acc, rec.value, rec.key);
    } catch (e) {
      this.ctx.deadLetter(rec, e, this.name);
      return;
    }
    for (const m of merged) {
      const sk = keyWithTime(kb, m.start);
      this.store.delete(sk);
      this.timers.remove(m.end + this.grace, sk.toString('latin1'));
      if (this.emit === 'update') {
        const old: Windowed<unknown> = { key: rec.key, start: m.start, end: m.end };
        this.forward(new Rec(old, null, m.end - 1, rec.headers, rec.stamp, rec.origin));
      }
    }
    const sk = keyWithTime(kb, start);
    this.store.put(sk, encodeState([end, acc]));
    this.timers.add(end + this.grace, sk.toString('latin1'));
    this.ctx.requestEventTime(end + this.grace);
    if (this.emit === 'update') {
      const wk: Windowed<unknown> = { key: rec.key, start, end };
      this.forward(new Rec(wk, this.agg.result(acc), end - 1, rec.headers, rec.stamp, rec.origin));
    }
  }

  override onEventTime(watermark: number): void {
    const stamp = this.ctx.generatedStamp();
    for (let due = this.timers.popDue(watermark); due; due = this.timers.popDue(watermark)) {
      for (const item of due.items) {
        const sk = Buffer.from(item, 'latin1');
        const b = this.store.get(sk);
        if (!b) continue;
        const [end, acc] = decodeState<[number, unknown]>(b);
        // A session extended since this timer was set has a later timer of its own.
        if (end + this.grace !== due.time) continue;
        this.store.delete(sk);
        if (this.emit !== 'final') continue;
        const { key, time: start } = splitKeyWithTime(sk);
        const wk: Windowed<unknown> = { key: this.keyCodec.decode(key), start, end };
        this.forward(new Rec(wk, this.agg.result(acc), end - 1, Rec.NO_HEADERS, stamp, undefined));
      }
    }
  }

  private mergeAcc(a: unknown, b: unknown, key: unknown): unknown {
    if (!this.agg.merge) throw new Error('session windows need a merge function to combine sessions');
    return this.agg.merge(a, b, key);
  }
}
