import { FILTER, StatelessOperator } from './stateless.js';
import type { UserFn } from './user-fn.js';

/** Passes the records for which the predicate holds (fused with the stateless operators after it, see stateless.ts). */
export class FilterOperator extends StatelessOperator {
  constructor(name: string, predicate: UserFn<boolean>) {
    super(name, FILTER, predicate);
  }
}
