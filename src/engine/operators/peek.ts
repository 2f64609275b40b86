import { PEEK, StatelessOperator } from './stateless.js';
import type { UserFn } from './user-fn.js';

/** Calls a function for its side effect and passes the record on unchanged. Fused with the stateless operators after it, see stateless.ts. */
export class PeekOperator extends StatelessOperator {
  constructor(name: string, fn: UserFn<unknown>) {
    super(name, PEEK, fn);
  }
}
