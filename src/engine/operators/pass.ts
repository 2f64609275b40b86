import type { Rec } from '../records.js';
import { Operator } from './operator.js';

/** Forwards records unchanged: merge points, repartition boundaries' logical nodes. */
export class PassOperator extends Operator {
  process(rec: Rec): void {
    this.forward(rec);
  }
}
