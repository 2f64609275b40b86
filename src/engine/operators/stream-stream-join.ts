import type { KeyValueStore } from '../../state/kv-store.js';
import { keyWithTime, splitKeyWithTime } from '../../state/bytes.js';
import { decodeState, encodeState, type StoreKeyCodec } from '../codec.js';
import { Rec } from '../records.js';
import { TimerQueue } from '../timers.js';
import { InputPort, Operator } from './operator.js';

export type JoinKind = 'inner' | 'left' | 'outer';

type Buffered = [value: unknown, matched: boolean];

/** One buffered record of one side. */
interface Entry {
  readonly ts: number;
  readonly seq: number;
  readonly value: unknown;
  matched: boolean;
  /** In the store (as of the last flush). */
  persisted: boolean;
  removed: boolean;
  /** The flush generation it was last queued in. */
  gen: number;
  readonly group: KeyGroup;
}

/** The buffered records of one key on one side, by (event time, sequence). */
interface KeyGroup {
  /** The store key bytes as latin1 (each char one byte). */
  readonly id: string;
  readonly key: unknown;
  entries: Entry[];
}

/**
 * Windowed stream-stream join. Both sides are buffered, per key, by (event time, sequence). A
 * record joins every buffered record of the other side with the same key whose event time is at
 * most `within` away; results have the later of the two timestamps.
 *
 * With W = max(record stamp, watermark), a record is late when ts + grace < W: it could have
 * missed partners already expired, so it is not joined; it is counted and dead-lettered. A
 * buffered record expires once no on-time partner can come any more (W > ts + within + grace);
 * then, under left/outer joins, a record that matched nothing is emitted with `undefined` for
 * the other side.
 *
 * The buffers are JS values between commits (a record cache): a record is written to its side's
 * store — (key, event time, sequence) -> [value, matched], V8-serialized — only at `flushState()`
 * before a commit, and not at all when it expired before one; so the changelog holds exactly the
 * records buffered at each commit, and `open()` rebuilds the buffers and timers from the stores.
 */
export class StreamStreamJoinOperator extends Operator {
  private readonly stores: KeyValueStore[] = [];
  private readonly timers = [new TimerQueue(), new TimerQueue()];
  private readonly groups = [new Map<string, KeyGroup>(), new Map<string, KeyGroup>()];
  private readonly ports: [InputPort, InputPort];
  private seq = 0;
  private dirty: Array<{ side: 0 | 1; entry: Entry }> = [];
  private gen = 1;

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
        const { key, time, extra } = splitKeyWithTime(e.key);
        const seq = extra.readUInt32BE(0);
        this.seq = Math.max(this.seq, seq + 1);
        const [value, matched] = decodeState<Buffered>(e.value);
        const group = this.groupOf(side, key.toString('latin1'), undefined);
        insertEntry(group, { ts: time, seq, value, matched, persisted: true, removed: false, gen: 0, group });
        this.timers[side]!.add(this.expiry(time), group.id);
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
    const id = this.keyCodec.id(rec.key);
    const other = this.groups[1 - side]!.get(id);
    const outs: Array<{ value: unknown; ts: number }> = [];
    const matched: Entry[] = [];
    if (other) {
      try {
        const from = ts - this.within;
        const to = ts + this.within;
        for (const e of other.entries) {
          if (e.ts < from) continue;
          if (e.ts > to) break;
          const value = side === 0 ? this.joiner(rec.value, e.value, rec.key) : this.joiner(e.value, rec.value, rec.key);
          outs.push({ value, ts: Math.max(ts, e.ts) });
          if (!e.matched) matched.push(e);
        }
      } catch (e) {
        this.ctx.deadLetter(rec, e, this.name);
        return;
      }
    }
    // The other side's records that matched for the first time: remember it, if their side
    // emits unmatched records (left side of a left join, either side of an outer join).
    if (this.emitsUnmatched((1 - side) as 0 | 1)) {
      for (const e of matched) {
        e.matched = true;
        this.touch((1 - side) as 0 | 1, e);
      }
    }
    const group = this.groupOf(side, id, rec.key);
    const entry: Entry = { ts, seq: this.seq++, value: rec.value, matched: outs.length > 0, persisted: false, removed: false, gen: 0, group };
    insertEntry(group, entry);
    this.touch(side, entry);
    const expiry = this.expiry(ts);
    this.timers[side]!.add(expiry, group.id);
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
      const due = this.timers[side]!.popDue(watermark, byStoreKey);
      if (!due) return;
      const ts = due.time - this.within - this.grace - 1;
      for (const id of due.items) {
        const group = this.groups[side]!.get(id);
        if (!group) continue;
        // Entries are ordered by time: those of this expiry time are a run at the front.
        let n = 0;
        while (n < group.entries.length && group.entries[n]!.ts <= ts) n++;
        if (n === 0) continue;
        const expired = group.entries.splice(0, n);
        if (group.entries.length === 0) this.groups[side]!.delete(id);
        for (const e of expired) {
          e.removed = true;
          if (e.persisted) this.touch(side, e);
          if (e.matched || !this.emitsUnmatched(side)) continue;
          const k = group.key;
          let out: unknown;
          try {
            out = side === 0 ? this.joiner(e.value, undefined, k) : this.joiner(undefined, e.value, k);
          } catch (err) {
            this.ctx.deadLetter(new Rec(k, e.value, e.ts, Rec.NO_HEADERS, stamp, undefined), err, this.name);
            continue;
          }
          this.forward(new Rec(k, out, e.ts, Rec.NO_HEADERS, stamp, undefined));
        }
      }
    }
  }

  /** Writes the buffered records added, changed or expired since the last flush to the stores. */
  override flushState(): void {
    const dirty = this.dirty;
    if (dirty.length === 0) return;
    this.dirty = [];
    this.gen++;
    for (const { side, entry: e } of dirty) {
      if (e.removed && !e.persisted) continue; // came and went between two commits
      const sk = keyWithTime(Buffer.from(e.group.id, 'latin1'), e.ts, seqBytes(e.seq));
      if (e.removed) {
        this.stores[side]!.delete(sk);
        e.persisted = false;
      } else {
        this.stores[side]!.put(sk, encodeState([e.value, e.matched] satisfies Buffered));
        e.persisted = true;
      }
    }
  }

  override close(): void {
    for (const g of this.groups) g.clear();
    for (const t of this.timers) t.clear();
    this.dirty = [];
  }

  private touch(side: 0 | 1, e: Entry): void {
    if (e.gen === this.gen) return;
    e.gen = this.gen;
    this.dirty.push({ side, entry: e });
  }

  /** The side's group of a key by id (the latin1 string of its store-key bytes); `key` undefined: decode it from the id. */
  private groupOf(side: 0 | 1, id: string, key: unknown): KeyGroup {
    const groups = this.groups[side]!;
    let g = groups.get(id);
    if (!g) {
      g = { id, key: key === undefined ? this.keyCodec.decode(Buffer.from(id, 'latin1')) : key, entries: [] };
      groups.set(id, g);
    }
    return g;
  }

  private emitsUnmatched(side: 0 | 1): boolean {
    return this.kind === 'outer' || (this.kind === 'left' && side === 0);
  }

  /** The watermark at which no on-time partner can arrive any more: W > ts + within + grace. */
  private expiry(ts: number): number {
    return ts + this.within + this.grace + 1;
  }
}

/** Keeps a group's entries by (time, sequence); records mostly arrive in time order, so from the end. */
function insertEntry(group: KeyGroup, e: Entry): void {
  const list = group.entries;
  let i = list.length;
  while (i > 0 && (list[i - 1]!.ts > e.ts || (list[i - 1]!.ts === e.ts && list[i - 1]!.seq > e.seq))) i--;
  if (i === list.length) list.push(e);
  else list.splice(i, 0, e);
}

/** The order of store keys `[u32 length][key]...`: by length, then bytes (ids are latin1 key bytes). */
function byStoreKey(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

function seqBytes(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}
