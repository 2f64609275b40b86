import type { Rec } from '../records.js';
import { Operator } from './operator.js';
import type { UserFn } from './user-fn.js';

/** Passes the records for which the predicate holds. */
export class FilterOperator extends Operator {
  constructor(
    name: string,
    private readonly predicate: UserFn<boolean>,
  ) {
    super(name);
  }

  process(rec: Rec): void {
    let keep: boolean;
    try {
      keep = this.predicate(rec.value, rec.key, rec);
    } catch (e) {
      this.ctx.deadLetter(rec, e, this.name);
      return;
    }
    if (keep) this.forward(rec);
  }
}
