import type { Rec } from '../records.js';
import { Operator } from './operator.js';

/** table.filter(): updates that fail the predicate become deletes downstream. */
export class TableFilterOperator extends Operator {
  constructor(
    name: string,
    private readonly predicate: (value: unknown, key: unknown) => boolean,
  ) {
    super(name);
  }

  process(rec: Rec): void {
    if (rec.value === null) {
      this.forward(rec);
      return;
    }
    let keep: boolean;
    try {
      keep = this.predicate(rec.value, rec.key);
    } catch (e) {
      this.ctx.deadLetter(rec, e, this.name);
      return;
    }
    this.forward(keep ? rec : rec.with(rec.key, null));
  }
}
