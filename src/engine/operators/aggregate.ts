import type { KeyValueStore } from '../../state/kv-store.js';
import type { Aggregation } from '../aggregation.js';
import { decodeState, encodeState, type StoreKeyCodec } from '../codec.js';
import type { Rec } from '../records.js';
import { Operator } from './operator.js';

/**
 * A keyed aggregation without windows: one accumulator per key in the store; every record
 * updates it and sends the new result downstream (the table's changelog).
 */
export class AggregateOperator extends Operator {
  private store!: KeyValueStore;

  constructor(
    name: string,
    private readonly storeName: string,
    private readonly agg: Aggregation,
    private readonly keyCodec: StoreKeyCodec,
  ) {
    super(name);
  }

  override open(): void {
    this.store = this.ctx.store(this.storeName);
  }

  process(rec: Rec): void {
    const kb = this.keyCodec.encode(rec.key);
    const cur = this.store.get(kb);
    let acc: unknown;
    try {
      acc = this.agg.add(cur ? decodeState(cur) : this.agg.init(), rec.value, rec.key);
    } catch (e) {
      this.ctx.deadLetter(rec, e, this.name);
      return;
    }
    this.store.put(kb, encodeState(acc));
    this.forward(rec.with(rec.key, this.agg.result(acc)));
  }

  /** The table's current value for a key. */
  get(key: unknown): unknown {
    const b = this.store.get(this.keyCodec.encode(key));
    return b ? this.agg.result(decodeState(b)) : undefined;
  }
}
