import { MAP_VALUES, StatelessOperator } from './stateless.js';
import type { UserFn } from './user-fn.js';

/** New value for each record, same key (so no repartition). Fused with the stateless operators after it, see stateless.ts. */
export class MapValuesOperator extends StatelessOperator {
  constructor(name: string, fn: UserFn<unknown>) {
    super(name, MAP_VALUES, fn);
  }
}
