import type { KeyValueStore } from '../../state/kv-store.js';
import { decodeState, encodeState, type StoreKeyCodec } from '../codec.js';
import type { Rec } from '../records.js';
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
 */
export class GroupedTableAggregateOperator extends Operator {
  private store!: KeyValueStore;

  constructor(
    name: string,
    private readonly storeName: string,
    private readonly agg: TableAggregation,
    private readonly keyCodec: StoreKeyCodec,
  ) {
    super(name);
  }

  override open(): void {
    this.store = this.ctx.store(this.storeName);
  }

  process(rec: Rec): void {
    const [op, value] = rec.value as TableChange;
    const kb = this.keyCodec.encode(rec.key);
    const cur = this.store.get(kb);
    let acc: unknown = cur ? decodeState(cur) : this.agg.init();
    try {
      acc = op === ADD ? this.agg.add(acc, value, rec.key) : this.agg.subtract(acc, value, rec.key);
    } catch (e) {
      this.ctx.deadLetter(rec, e, this.name);
      return;
    }
    this.store.put(kb, encodeState(acc));
    this.forward(rec.with(rec.key, acc));
  }

  /** The table's current value for a key. */
  get(key: unknown): unknown {
    const b = this.store.get(this.keyCodec.encode(key));
    return b ? decodeState(b) : undefined;
  }
}
