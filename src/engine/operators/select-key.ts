import { SELECT_KEY, StatelessOperator } from './stateless.js';
import type { UserFn } from './user-fn.js';

/** New key for each record, same value (keyBy and selectKey). Fused with the stateless operators after it, see stateless.ts. */
export class SelectKeyOperator extends StatelessOperator {
  constructor(name: string, fn: UserFn<unknown>) {
    super(name, SELECT_KEY, fn);
  }
}
