import type { Rec } from '../records.js';
import { Operator } from './operator.js';

/** table.toStream(): the updates, without the deletes. */
export class TableToStreamOperator extends Operator {
  process(rec: Rec): void {
    if (rec.value !== null && rec.value !== undefined) this.forward(rec);
  }
}
