import type { KeyValue, Rec } from '../records.js';
import { Operator } from './operator.js';
import type { UserFn } from './user-fn.js';

/**
 * Zero or more records per record. With `valuesOnly`, the function returns values and the key
 * stays; otherwise it returns [key, value] pairs. The function's whole result is computed before
 * anything is forwarded, so a function that throws halfway emits nothing.
 */
export class FlatMapOperator extends Operator {
  constructor(
    name: string,
    private readonly fn: UserFn<Iterable<unknown>>,
    private readonly valuesOnly: boolean,
  ) {
    super(name);
  }

  process(rec: Rec): void {
    let out: unknown[];
    try {
      out = Array.from(this.fn(rec.value, rec.key, rec));
    } catch (e) {
      this.ctx.deadLetter(rec, e, this.name);
      return;
    }
    for (const o of out) {
      if (this.valuesOnly) this.forward(rec.with(rec.key, o));
      else {
        const kv = o as KeyValue<unknown, unknown>;
        this.forward(rec.with(kv[0], kv[1]));
      }
    }
  }
}
