import type { Rec } from '../records.js';
import { Operator } from './operator.js';
import type { UserFn } from './user-fn.js';

/** Calls a function for its side effect and passes the record on unchanged. */
export class PeekOperator extends Operator {
  constructor(
    name: string,
    private readonly fn: UserFn<unknown>,
  ) {
    super(name);
  }

  process(rec: Rec): void {
    try {
      this.fn(rec.value, rec.key, rec);
    } catch (e) {
      this.ctx.deadLetter(rec, e, this.name);
      return;
    }
    this.forward(rec);
  }
}
