import type { KeyValue, Rec } from '../records.js';
import { Operator } from './operator.js';
import type { UserFn } from './user-fn.js';

/** New key and value for each record (the key may change: keyed operations after it repartition). */
export class MapOperator extends Operator {
  constructor(
    name: string,
    private readonly fn: UserFn<KeyValue<unknown, unknown>>,
  ) {
    super(name);
  }

  process(rec: Rec): void {
    let kv: KeyValue<unknown, unknown>;
    try {
      kv = this.fn(rec.value, rec.key, rec);
    } catch (e) {
      this.ctx.deadLetter(rec, e, this.name);
      return;
    }
    this.forward(rec.with(kv[0], kv[1]));
  }
}
