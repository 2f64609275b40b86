import type { Aggregation } from '../aggregation.js';
import type { StoreKeyCodec } from '../codec.js';
import type { Rec } from '../records.js';
import { AccumulatorCache, NONE, type CachedAcc } from './accumulator-cache.js';
import { Operator, isMutable } from './operator.js';

/** A key's accumulator held decoded between commits. */
interface KeyAcc extends CachedAcc {
  /** The key as records carry it (the `byKey` index's key, when a string or number). */
  readonly key: unknown;
  /** emit 'batch': the key's last record of this batch, its update not sent yet (queued in `held`). */
  last: Rec | undefined;
}

/**
 * When a keyed aggregation's updates go downstream: 'update', each record's new result at once;
 * 'batch', the last result per key of each input batch (Flink's mini-batch, Kafka Streams' record
 * cache): fewer updates, the same table.
 */
export type AggregateEmit = 'update' | 'batch';

/**
 * A keyed aggregation without windows: one accumulator per key; every record updates it and
 * sends the new result downstream (the table's changelog).
 *
 * Accumulators are held decoded and written to the store once per changed key at `flushState()`,
 * before each commit (accumulator-cache.ts): a key updated by many records between commits costs
 * one decode and one encode (and one changelog record), not one per record. The value sent
 * downstream is the held accumulator's result, as window updates are: an aggregator that changes
 * its accumulator in place changes that object on the key's next record.
 *
 * Keys that are strings or numbers are also indexed as they are (`byKey`): a key seen before is
 * found without encoding it. With emit 'batch' a key's update waits for the end of the input
 * batch and only its last one goes downstream; it goes earlier when the watermark reaches its
 * timestamp (an event-time timer), so a held update never reaches a downstream window after the
 * watermark closed it: lateness stays what it is without holding (docs/semantics.md).
 */
export class AggregateOperator extends Operator {
  private accs: AccumulatorCache<KeyAcc> | undefined;
  private byKey = new Map<unknown, KeyAcc>();
  /** emit 'batch': keys with an update not sent yet, in the order of their first change. */
  private held: KeyAcc[] = [];
  /** The earliest timestamp among held updates (the event-time timer), or +∞. */
  private heldFrom = Infinity;
  constructor(
    name: string,
    private readonly storeName: string,
    private readonly agg: Aggregation,
    private readonly keyCodec: StoreKeyCodec,
    private readonly emit: AggregateEmit = 'update',
  ) {
    super(name);
  }

  override open(): void {
    // An evicted key's change went to the store; a held update still goes downstream (it holds the entry).
    this.accs = new AccumulatorCache<KeyAcc>(this.ctx.store(this.storeName), (e) => {
      if (isPlainKey(e.key)) this.byKey.delete(e.key);
    });
    this.byKey.clear();
    this.held = [];
    this.heldFrom = Infinity;
  }

  process(rec: Rec): void {
    const key = rec.key;
    const plain = isPlainKey(key);
    let e = plain ? this.byKey.get(key) : undefined;
    if (e === undefined) e = this.entry(key, plain);
    else e.ref = true;
    if (this.poisoned(rec, e.kb)) return;
    let acc: unknown;
    try {
      acc = this.agg.add(e.acc === NONE ? this.agg.init() : e.acc, rec.value, key);
    } catch (err) {
      // The held accumulator may be half-changed: a rollback, unless it cannot change (poison.ts).
      this.userCodeFailed(rec, err, e.kb, isMutable(e.acc));
      return;
    }
    e.acc = acc;
    this.accs!.changed(e);
    if (this.emit === 'update') {
      this.forward(rec.with(key, this.agg.result(acc)));
      return;
    }
    if (e.last === undefined) this.held.push(e);
    e.last = rec;
    if (rec.timestamp < this.heldFrom) {
      this.heldFrom = rec.timestamp;
      this.ctx.requestEventTime(rec.timestamp);
    }
  }

  /** emit 'batch': the held updates go downstream at the end of each batch. */
  override onBatchEnd(): void {
    if (this.held.length > 0) this.sendHeld();
  }

  override nextEventTime(): number {
    return this.heldFrom;
  }

  /** The watermark reached a held update's timestamp: everything held goes now, before windows downstream may close. */
  override onEventTime(): void {
    if (this.held.length > 0) this.sendHeld();
    else this.heldFrom = Infinity;
  }

  /** Writes the accumulators changed since the last flush to the store (and so to its changelog). */
  override flushState(): void {
    this.accs?.flush();
  }

  override close(): void {
    this.accs?.clear();
    this.byKey.clear();
    for (const e of this.held) e.last = undefined;
    this.held = [];
    this.heldFrom = Infinity;
  }

  /** The record cache of keys (tests and metrics read its size and bound). */
  get cache(): AccumulatorCache<KeyAcc>['stats'] {
    return this.accs!.stats;
  }

  /** The table's current value for a key (including changes not yet flushed). */
  get(key: unknown): unknown {
    const e = isPlainKey(key) ? this.byKey.get(key) : undefined;
    const kb = e === undefined ? this.keyCodec.encode(key) : e.kb;
    const acc = e !== undefined ? e.acc : this.accs!.current(kb, kb.toString('latin1'));
    return acc === NONE ? undefined : this.agg.result(acc);
  }

  /** A key not found in `byKey`: from the record cache by its store key, else read from the store (and cached). */
  private entry(key: unknown, plain: boolean): KeyAcc {
    const kb = this.keyCodec.encode(key);
    const id = kb.toString('latin1');
    const accs = this.accs!;
    const e = accs.get(id) ?? accs.load(kb, id, (acc, bytes) => ({ bytes, ref: false, key, kb, acc, dirty: false, last: undefined }));
    // Only the entry's own key: another key with the same store key (a serde that is not one-to-one) goes by the store key.
    if (plain && e.key === key) this.byKey.set(key, e);
    return e;
  }

  private sendHeld(): void {
    const held = this.held;
    this.held = [];
    this.heldFrom = Infinity;
    for (let i = 0; i < held.length; i++) {
      const e = held[i]!;
      const rec = e.last!;
      e.last = undefined;
      this.forward(rec.with(rec.key, this.agg.result(e.acc)));
    }
  }
}

/**
 * Keys indexed as they are: strings, and numbers but -0 (a Map takes -0 for 0, a serde may not).
 * Equal such keys have equal store keys, so the index agrees with the record cache.
 */
function isPlainKey(key: unknown): key is string | number {
  const t = typeof key;
  return t === 'string' || (t === 'number' && !Object.is(key, -0));
}
