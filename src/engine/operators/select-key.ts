import type { Rec } from '../records.js';
import { Operator } from './operator.js';
import type { UserFn } from './user-fn.js';

/** New key for each record, same value (keyBy and selectKey). */
export class SelectKeyOperator extends Operator {
  constructor(
    name: string,
    private readonly fn: UserFn<unknown>,
  ) {
    super(name);
  }

  process(rec: Rec): void {
    let k: unknown;
    try {
      k = this.fn(rec.value, rec.key, rec);
    } catch (e) {
      this.ctx.deadLetter(rec, e, this.name);
      return;
    }
    this.forward(rec.with(k, rec.value));
  }
}
