import type { Rec } from '../records.js';
import { Operator } from './operator.js';
import type { UserFn } from './user-fn.js';

/**
 * Sends each record to the first branch whose predicate holds (output port = branch name), or
 * to the 'default' port if none does. Exactly one branch gets each record.
 */
export class BranchOperator extends Operator {
  constructor(
    name: string,
    private readonly branches: ReadonlyArray<readonly [port: string, predicate: UserFn<boolean>]>,
  ) {
    super(name);
  }

  process(rec: Rec): void {
    let port = 'default';
    try {
      for (const [p, pred] of this.branches) {
        if (pred(rec.value, rec.key, rec)) {
          port = p;
          break;
        }
      }
    } catch (e) {
      this.ctx.deadLetter(rec, e, this.name);
      return;
    }
    this.forwardTo(port, rec);
  }
}
