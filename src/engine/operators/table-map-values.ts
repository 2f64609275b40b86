import type { Rec } from '../records.js';
import { Operator } from './operator.js';

/** table.mapValues(): maps updates; deletes pass as deletes. */
export class TableMapValuesOperator extends Operator {
  constructor(
    name: string,
    private readonly fn: (value: unknown, key: unknown) => unknown,
  ) {
    super(name);
  }

  process(rec: Rec): void {
    if (rec.value === null) {
      this.forward(rec);
      return;
    }
    let v: unknown;
    try {
      v = this.fn(rec.value, rec.key);
    } catch (e) {
      this.ctx.deadLetter(rec, e, this.name);
      return;
    }
    this.forward(rec.with(rec.key, v));
  }
}
