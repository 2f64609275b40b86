import type { KeyValue } from '../records.js';
import { MAP, StatelessOperator } from './stateless.js';
import type { UserFn } from './user-fn.js';

/**
 * New key and value for each record (the key may change: keyed operations after it repartition).
 * Fused with the stateless operators after it, see stateless.ts.
 */
export class MapOperator extends StatelessOperator {
  constructor(name: string, fn: UserFn<KeyValue<unknown, unknown>>) {
    super(name, MAP, fn);
  }
}
