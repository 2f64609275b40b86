import { PEEK, StatelessOperator } from './stateless.js';
import type { UserFn } from './user-fn.js';

/**
 * Stream.forEach(): calls a function for its side effect and ends the chain (it has no
 * downstream, so nothing is serialized or written). It is a peek with no outputs, so it fuses
 * into the stateless run before it (stateless.ts) and costs one call per record.
 */
export class ForEachOperator extends StatelessOperator {
  constructor(name: string, fn: UserFn<unknown>) {
    super(name, PEEK, fn);
  }
}
