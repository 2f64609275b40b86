import { unorderedById, type KeyValueStore } from '../../state/kv-store.js';
import { keyPrefix, keyWithTime, prefixEnd, splitKeyWithTime } from '../../state/bytes.js';
import { RecordCache, type CachedEntry } from '../../state/record-cache.js';
import type { Aggregation } from '../aggregation.js';
import { decodeState, encodeState, type StoreKeyCodec } from '../codec.js';
import { Rec } from '../records.js';
import type { Windowed } from '../serdes.js';
import { TimerQueue } from '../timers.js';
import type { SessionWindows } from '../windows.js';
import { Operator, isMutable } from './operator.js';

/** One open session of a key, its accumulator decoded. */
interface Session {
  start: number;
  end: number;
  acc: unknown;
  /** Changed since the last flush: written to the store then. */
  changed: boolean;
}

/** A key's open sessions, as the record cache holds them. */
interface KeySessions extends CachedEntry {
  /** The key's store-key bytes as latin1 (the cache id). */
  readonly id: string;
  readonly kb: Buffer;
  /** Every open session of the key, by start. */
  sessions: Session[];
  /** Starts whose store entry may have to go (merged away, extended from an earlier start, or closed). */
  removed: number[];
  /** The flush generation this key was last queued in. */
  gen: number;
  /** Evicted (its changes written back): a later record for the key has a new entry. */
  evicted: boolean;
}

/** Estimated fixed bytes of a cached key and of a session (Kafka Streams-like estimates, not heap bytes). */
const KEY_OVERHEAD = 96;
const SESSION_OVERHEAD = 64;

/**
 * Aggregates session windows. A session is [first record, last record + gap); a record less
 * than `gap` away from a session's records joins it, and may merge several sessions into one
 * (their accumulators combined with the aggregation's merge). One store entry per (key,
 * session start) holding [end, accumulator]; a timer at end + grace closes the session.
 *
 * The sessions of recently used keys are kept decoded in a record cache (record-cache.ts), as
 * window-aggregate.ts keeps its slots: a record extending a session changes a JS object, and the
 * store (and its changelog) sees each changed session once per flush (`flushState()`, before each
 * commit), not an encode, a delete and a put per record. A key not in the cache has its state
 * in the store; an evicted key writes its changes back first.
 *
 * emit 'update' sends, for every change, a null (delete) for each session merged away and the
 * new session's value; 'final' sends one value per session when it closes.
 */
export class SessionAggregateOperator extends Operator {
  private store!: KeyValueStore;
  private readonly timers = new TimerQueue();
  private keys = new RecordCache<KeySessions>(Infinity, () => {});
  private dirty: KeySessions[] = [];
  private gen = 1;

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
    this.keys = new RecordCache<KeySessions>(this.store.cacheMaxBytes ?? Infinity, (_id, ks) => {
      ks.evicted = true;
      this.writeChanges(ks);
    });
    // No order is needed (the timers sort): an in-memory store hands out its key strings unsorted.
    for (const [id, value] of unorderedById(this.store)) this.timers.add(decodeState<[number, unknown]>(value)[0] + this.grace, id);
  }

  /** @internal The record cache (tests check its bound). */
  get cache(): RecordCache<KeySessions> {
    return this.keys;
  }

  override nextEventTime(): number {
    return this.timers.next;
  }

  process(rec: Rec): void {
    const gap = this.windows.gap;
    const ts = rec.timestamp;
    const kb = this.keyCodec.encode(rec.key);
    const ks = this.sessionsOf(kb);
    let merged: Session[] | undefined;
    for (const s of ks.sessions) if (s.start - gap < ts && ts < s.end) (merged ??= []).push(s);
    let start = ts;
    let end = ts + gap;
    if (this.poisoned(rec, kb)) {
      this.dropIfDone(ks);
      return;
    }
    let acc: unknown;
    try {
      acc = undefined;
      if (merged) {
        for (const m of merged) {
          if (m.start < start) start = m.start;
          if (m.end > end) end = m.end;
          acc = acc === undefined ? m.acc : this.mergeAcc(acc, m.acc, rec.key);
        }
      }
      acc = this.agg.add(acc === undefined ? this.agg.init() : acc, rec.value, rec.key);
    } catch (e) {
      // A held session's accumulator may be half-changed: a rollback, unless none can change (poison.ts).
      this.dropIfDone(ks);
      this.userCodeFailed(rec, e, kb, merged !== undefined && merged.some((m) => isMutable(m.acc)));
      return;
    }
    const kept: Session | undefined = merged?.length === 1 && merged[0]!.start === start ? merged[0] : undefined;
    if (merged) {
      for (const m of merged) {
        if (m !== kept || m.end !== end) this.timers.remove(m.end + this.grace, keyWithTime(kb, m.start).toString('latin1'));
        if (this.emit === 'update') {
          const old: Windowed<unknown> = { key: rec.key, start: m.start, end: m.end };
          this.forward(new Rec(old, null, m.end - 1, rec.headers, rec.stamp, rec.origin));
        }
      }
    }
    const oldEnd = kept?.end;
    if (kept) {
      // The common case: the record extends (or falls inside) one session with the same start.
      kept.end = end;
      kept.acc = acc;
      kept.changed = true;
    } else {
      if (merged) {
        ks.sessions = ks.sessions.filter((s) => !merged!.includes(s));
        for (const m of merged) ks.removed.push(m.start);
      }
      insertSession(ks.sessions, { start, end, acc, changed: true });
      if (this.keys.bounded) this.keys.resize(ks, sizeOf(ks));
    }
    this.queue(ks);
    if (oldEnd !== end) {
      this.timers.add(end + this.grace, keyWithTime(kb, start).toString('latin1'));
      this.ctx.requestEventTime(end + this.grace);
    }
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
        const { key: kb, time: start } = splitKeyWithTime(sk);
        const ks = this.keys.get(kb.toString('latin1'));
        let end: number;
        let acc: unknown;
        if (ks) {
          const i = ks.sessions.findIndex((s) => s.start === start);
          if (i < 0) continue;
          ({ end, acc } = ks.sessions[i]!);
          // A session extended since this timer was set has a later timer of its own.
          if (end + this.grace !== due.time) continue;
          ks.sessions.splice(i, 1);
          ks.removed.push(start);
          this.queue(ks);
          if (this.keys.bounded) this.keys.resize(ks, sizeOf(ks));
        } else {
          const b = this.store.get(sk);
          if (!b) continue;
          [end, acc] = decodeState<[number, unknown]>(b);
          if (end + this.grace !== due.time) continue;
          this.store.delete(sk);
        }
        if (this.emit !== 'final') continue;
        const wk: Windowed<unknown> = { key: this.keyCodec.decode(kb), start, end };
        this.forward(new Rec(wk, this.agg.result(acc), end - 1, Rec.NO_HEADERS, stamp, undefined));
      }
    }
  }

  /** Writes the sessions changed since the last flush to the store (and so to its changelog). */
  override flushState(): void {
    const dirty = this.dirty;
    if (dirty.length === 0) return;
    this.dirty = [];
    this.gen++;
    for (const ks of dirty) {
      if (ks.evicted) continue; // written back when it left the cache
      this.writeChanges(ks);
      this.dropIfDone(ks);
    }
  }

  /** Entries grown in place during a batch may have passed the bound: evict back under it. */
  override onBatchEnd(): void {
    this.keys.shrink();
  }

  override close(): void {
    this.keys.clear();
    this.dirty = [];
    this.timers.clear();
  }

  /** The key's cached sessions; on a miss, whatever the store holds for the key. */
  private sessionsOf(kb: Buffer): KeySessions {
    const id = kb.toString('latin1');
    let ks = this.keys.get(id);
    if (ks) return ks;
    ks = { bytes: 0, ref: false, id, kb, sessions: [], removed: [], gen: 0, evicted: false };
    const prefix = keyPrefix(kb);
    for (const e of this.store.range(prefix, prefixEnd(prefix))) {
      const [end, acc] = decodeState<[number, unknown]>(e.value);
      ks.sessions.push({ start: splitKeyWithTime(e.key).time, end, acc, changed: false });
    }
    ks.bytes = sizeOf(ks);
    if (this.keys.bounded) this.keys.makeRoom(ks.bytes);
    this.keys.add(id, ks);
    return ks;
  }

  /** A key with no open session and nothing left to write leaves the cache (a miss reads the store, which agrees). */
  private dropIfDone(ks: KeySessions): void {
    if (ks.sessions.length === 0 && ks.removed.length === 0) this.keys.delete(ks.id);
  }

  private queue(ks: KeySessions): void {
    if (ks.gen === this.gen) return;
    ks.gen = this.gen;
    this.dirty.push(ks);
  }

  /** The key's changes to the store: deletes of sessions gone, puts of sessions changed. */
  private writeChanges(ks: KeySessions): void {
    for (const start of ks.removed) {
      if (!ks.sessions.some((s) => s.start === start)) this.store.delete(keyWithTime(ks.kb, start));
    }
    ks.removed = [];
    for (const s of ks.sessions) {
      if (!s.changed) continue;
      s.changed = false;
      this.store.put(keyWithTime(ks.kb, s.start), encodeState([s.end, s.acc]));
    }
  }

  private mergeAcc(a: unknown, b: unknown, key: unknown): unknown {
    if (!this.agg.merge) throw new Error('session windows need a merge function to combine sessions');
    return this.agg.merge(a, b, key);
  }
}

function insertSession(list: Session[], s: Session): void {
  let i = list.length;
  while (i > 0 && list[i - 1]!.start > s.start) i--;
  list.splice(i, 0, s);
}

function sizeOf(ks: KeySessions): number {
  return KEY_OVERHEAD + ks.id.length + ks.sessions.length * SESSION_OVERHEAD;
}
