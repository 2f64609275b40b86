import type { Rec } from '../records.js';
import { Operator } from './operator.js';
import type { UserFn } from './user-fn.js';

/** New value for each record, same key (so no repartition). */
export class MapValuesOperator extends Operator {
  constructor(
    name: string,
    private readonly fn: UserFn<unknown>,
  ) {
    super(name);
  }

  process(rec: Rec): void {
    let v: unknown;
    try {
      v = this.fn(rec.value, rec.key, rec);
    } catch (e) {
      this.ctx.deadLetter(rec, e, this.name);
      return;
    }
    this.forward(rec.with(rec.key, v));
  }
}
