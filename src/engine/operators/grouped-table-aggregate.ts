import type { StoreKeyCodec } from '../codec.js';
import type { Rec } from '../records.js';
import { AccumulatorCache, NONE, type CachedAcc } from './accumulator-cache.js';
import { Operator } from './operator.js';
import { ADD, type TableChange } from './table-group-by.js';

/** What a regrouped table's aggregation does with a value put in (adder) and taken out (subtractor). */
export interface TableAggregation {
  readonly kind: string;
  init(): unknown;
  add(acc: unknown, value: unknown, key: unknown): unknown;
  subtract(acc: unknown, value: unknown, key: unknown): unknown;
}

/**
 * The aggregation of a regrouped table (KGroupedTable#aggregate/count/reduce): one accumulator
 * per new key; every change from TableGroupByOperator adds or subtracts its value and sends the
 * new accumulator downstream (the result table's changelog).
 *
 * Accumulators are held decoded and written back once per changed key and commit, as the keyed
 * aggregation's (accumulator-cache.ts): an update of a row (a subtraction and an addition, often
 * on the same key) and every other change of the key until the commit cost one decode and one
 * encode, not one each per change. The value sent downstream is the held accumulator: an adder
 * that changes it in place changes that object on the key's next change.
 */
export class GroupedTableAggregateOperator extends Operator {
  private accs: AccumulatorCache<CachedAcc> | undefined;

  constructor(
    name: string,
    private readonly storeName: string,
    private readonly agg: TableAggregation,
    private readonly keyCodec: StoreKeyCodec,
  ) {
    super(name);
  }

  override open(): void {
    this.accs = new AccumulatorCache<CachedAcc>(this.ctx.store(this.storeName));
  }

  process(rec: Rec): void {
    const accs = this.accs!;
    const [op, value] = rec.value as TableChange;
    const kb = this.keyCodec.encode(rec.key);
    const id = kb.toString('latin1');
    const e = accs.get(id) ?? accs.load(kb, id, (acc, bytes) => ({ bytes, ref: false, kb, acc, dirty: false }));
    let acc: unknown = e.acc === NONE ? this.agg.init() : e.acc;
    try {
      acc = op === ADD ? this.agg.add(acc, value, rec.key) : this.agg.subtract(acc, value, rec.key);
    } catch (err) {
      this.ctx.deadLetter(rec, err, this.name);
      return;
    }
    e.acc = acc;
    accs.changed(e);
    this.forward(rec.with(rec.key, acc));
  }

  /** Writes the accumulators changed since the last flush to the store (and so to its changelog). */
  override flushState(): void {
    this.accs?.flush();
  }

  override close(): void {
    this.accs?.clear();
  }

  /** The record cache of keys (tests read its size and bound). */
  get cache(): AccumulatorCache<CachedAcc>['stats'] {
    return this.accs!.stats;
  }

  /** The table's current value for a key (including changes not yet flushed). */
  get(key: unknown): unknown {
    const kb = this.keyCodec.encode(key);
    const acc = this.accs!.current(kb, kb.toString('latin1'));
    return acc === NONE ? undefined : acc;
  }
}
