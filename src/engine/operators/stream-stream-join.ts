import type { KeyValueStore } from '../../state/kv-store.js';
import { keyWithTime, splitKeyWithTime } from '../../state/bytes.js';
import { decodeState, encodeState, type StoreKeyCodec } from '../codec.js';
import { Rec } from '../records.js';
import { TimerQueue } from '../timers.js';
import { InputPort, Operator } from './operator.js';

export type JoinKind = 'inner' | 'left' | 'outer';

type Buffered = [value: unknown, matched: boolean];

/**
 * Windowed stream-stream join. Both sides are buffered in a store, keyed (key, event time,
 * sequence). A record joins every buffered record of the other side with the same key whose
 * event time is at most `within` away; results have the later of the two timestamps.
 *
 * With W = max(record stamp, watermark), a record is late when ts + grace < W: it could have
 * missed partners already expired, so it is not joined; it is counted and dead-lettered. A
 * buffered record expires once no on-time partner can come any more (W > ts + within + grace);
 * then, under left/outer joins, a record that matched nothing is emitted with `undefined` for
 * the other side.
 */
export class StreamStreamJoinOperator extends Operator {
  private readonly stores: KeyValueStore[] = [];
  private readonly timers = [new TimerQueue(), new TimerQueue()];
  private readonly ports: [InputPort, InputPort];
  private seq = 0;

  constructor(
    name: string,
    private readonly joiner: (left: unknown, right: unknown, key: unknown) => unknown,
    private readonly kind: JoinKind,
    private readonly within: number,
    private readonly grace: number,
    private readonly keyCodec: StoreKeyCodec,
  ) {
    super(name);
    this.ports = [new InputPort(`${name}-left`, this, 0), new InputPort(`${name}-right`, this, 1)];
  }

  port(side: 0 | 1): Operator {
    return this.ports[side];
  }

  override open(): void {
    this.stores.push(this.ctx.store(`${this.name}-left`), this.ctx.store(`${this.name}-right`));
    for (const side of [0, 1] as const) {
      for (const e of this.stores[side]!.all()) {
        const { time, extra } = splitKeyWithTime(e.key);
        this.seq = Math.max(this.seq, extra.readUInt32BE(0) + 1);
        this.timers[side]!.add(this.expiry(time), e.key.toString('latin1'));
      }
    }
  }

  override nextEventTime(): number {
    return Math.min(this.timers[0]!.next, this.timers[1]!.next);
  }

  process(rec: Rec): void {
    this.processSide(0, rec);
  }

  processSide(side: 0 | 1, rec: Rec): void {
    const w = this.watermark();
    const W = rec.stamp > w ? rec.stamp : w;
    const ts = rec.timestamp;
    if (ts + this.grace < W) {
      this.ctx.late(rec, this.name, false);
      return;
    }
    const kb = this.keyCodec.encode(rec.key);
    const other = this.stores[1 - side]!;
    const outs: Array<{ value: unknown; ts: number }> = [];
    const matchedKeys: Array<{ key: Buffer; buffered: Buffered }> = [];
    try {
      for (const e of other.range(keyWithTime(kb, ts - this.within), keyWithTime(kb, ts + this.within + 1))) {
        const buffered = decodeState<Buffered>(e.value);
        const ots = splitKeyWithTime(e.key).time;
        const value = side === 0 ? this.joiner(rec.value, buffered[0], rec.key) : this.joiner(buffered[0], rec.value, rec.key);
        outs.push({ value, ts: Math.max(ts, ots) });
        if (!buffered[1]) matchedKeys.push({ key: e.key, buffered });
      }
    } catch (e) {
      this.ctx.deadLetter(rec, e, this.name);
      return;
    }
    // The other side's records that matched for the first time: remember it, if their side
    // emits unmatched records (left side of a left join, either side of an outer join).
    if (this.emitsUnmatched((1 - side) as 0 | 1)) {
      for (const m of matchedKeys) other.put(m.key, encodeState([m.buffered[0], true]));
    }
    const sk = keyWithTime(kb, ts, seqBytes(this.seq++));
    this.stores[side]!.put(sk, encodeState([rec.value, outs.length > 0] satisfies Buffered));
    const expiry = this.expiry(ts);
    this.timers[side]!.add(expiry, sk.toString('latin1'));
    this.ctx.requestEventTime(expiry);
    for (const o of outs) {
      const out = rec.with(rec.key, o.value);
      out.timestamp = o.ts;
      this.forward(out);
    }
  }

  override onEventTime(watermark: number): void {
    const stamp = this.ctx.generatedStamp();
    for (;;) {
      // Expire both sides in time order, so unmatched records leave in event-time order.
      const side: 0 | 1 = this.timers[0]!.next <= this.timers[1]!.next ? 0 : 1;
      const due = this.timers[side]!.popDue(watermark);
      if (!due) return;
      const store = this.stores[side]!;
      for (const item of due.items) {
        const sk = Buffer.from(item, 'latin1');
        const b = store.get(sk);
        if (!b) continue;
        store.delete(sk);
        const [value, matched] = decodeState<Buffered>(b);
        if (matched || !this.emitsUnmatched(side)) continue;
        const { key, time } = splitKeyWithTime(sk);
        const k = this.keyCodec.decode(key);
        let out: unknown;
        try {
          out = side === 0 ? this.joiner(value, undefined, k) : this.joiner(undefined, value, k);
        } catch (e) {
          this.ctx.deadLetter(new Rec(k, value, time, Rec.NO_HEADERS, stamp, undefined), e, this.name);
          continue;
        }
        this.forward(new Rec(k, out, time, Rec.NO_HEADERS, stamp, undefined));
      }
    }
  }

  private emitsUnmatched(side: 0 | 1): boolean {
    return this.kind === 'outer' || (this.kind === 'left' && side === 0);
  }

  /** The watermark at which no on-time partner can arrive any more: W > ts + within + grace. */
  private expiry(ts: number): number {
    return ts + this.within + this.grace + 1;
  }
}

function seqBytes(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}
