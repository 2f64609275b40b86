import type { Getter } from '../graph.js';
import type { Rec } from '../records.js';
import { Operator } from './operator.js';

/**
 * Stream-table join: each stream record looks up the table's value for its key as of now (the
 * table's updates that the task has processed before this record). Inner joins skip records
 * without a table value; left joins pass `undefined`. Table updates trigger nothing.
 */
export class StreamTableJoinOperator extends Operator {
  constructor(
    name: string,
    private readonly getter: Getter,
    private readonly joiner: (value: unknown, tableValue: unknown, key: unknown) => unknown,
    private readonly left: boolean,
  ) {
    super(name);
  }

  process(rec: Rec): void {
    let out: unknown;
    try {
      const t = this.getter(rec.key);
      if (t === undefined && !this.left) return;
      out = this.joiner(rec.value, t, rec.key);
    } catch (e) {
      this.ctx.deadLetter(rec, e, this.name);
      return;
    }
    this.forward(rec.with(rec.key, out));
  }
}
