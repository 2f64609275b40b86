import type { KeyValue, Rec } from '../records.js';
import { Operator } from './operator.js';
import { SinkOperator } from './sink.js';
import type { UserFn } from './user-fn.js';

/** What a stateless operator does with its user function. */
export const FILTER = 0;
export const MAP = 1;
export const MAP_VALUES = 2;
export const SELECT_KEY = 3;
export const PEEK = 4;
export type StepKind = typeof FILTER | typeof MAP | typeof MAP_VALUES | typeof SELECT_KEY | typeof PEEK;

/**
 * filter, map, mapValues, selectKey and peek: one user function per record, no state, one output.
 *
 * Operator fusion: at open(), each of them collects the run of such operators after it (each
 * the only downstream of the one before) into `chain`, and process() runs the whole run in one
 * loop with key and value in locals, making one Rec at the end instead of one per transforming
 * operator, and calling the run's last downstream directly. Results, dead letters and the
 * per-operator `forwarded` counters are those of the unfused operators: every function gets the
 * run's input record as its RecordContext (timestamp, headers, topic/partition/offset: what
 * RecordContext shows does not change along the run), and an error is dead-lettered with the
 * record as that operator saw it and the operator's name. An operator
 * inside someone's run keeps its own process() for any other parent that calls it (merge).
 */
export abstract class StatelessOperator extends Operator {
  /** This operator and the stateless operators fused after it, in order. */
  private chain: StatelessOperator[] = [this];
  /** Where the run's results go: the last operator's main downstream (connect() fills this list). */
  private out: Operator[] = this.outputs.get('main')!;
  /** The run's only downstream when that is a sink: it takes key and value as they are, no Rec made for them. */
  private sink: SinkOperator | undefined;

  constructor(
    name: string,
    readonly kind: StepKind,
    readonly fn: UserFn<unknown>,
  ) {
    super(name);
  }

  override open(): void {
    const chain: StatelessOperator[] = [this];
    let last: StatelessOperator = this;
    for (;;) {
      const next = soleDownstream(last);
      if (!(next instanceof StatelessOperator) || chain.includes(next)) break;
      chain.push(next);
      last = next;
    }
    this.chain = chain;
    this.out = last.outputs.get('main')!;
    this.sink = this.out.length === 1 && this.out[0] instanceof SinkOperator ? this.out[0] : undefined;
  }

  process(rec: Rec): void {
    const chain = this.chain;
    let key = rec.key;
    let value = rec.value;
    for (let i = 0; i < chain.length; i++) {
      const op = chain[i]!;
      // `rec` is the record context user functions see: timestamp, headers and origin do not
      // change along the run, only key and value (passed as arguments).
      switch (op.kind) {
        case FILTER: {
          let keep: unknown;
          try {
            keep = op.fn(value, key, rec);
          } catch (e) {
            this.ctx.deadLetter(seen(rec, key, value), e, op.name);
            return;
          }
          if (!keep) return;
          break;
        }
        case MAP: {
          let kv: KeyValue<unknown, unknown>;
          try {
            kv = op.fn(value, key, rec) as KeyValue<unknown, unknown>;
          } catch (e) {
            this.ctx.deadLetter(seen(rec, key, value), e, op.name);
            return;
          }
          key = kv[0];
          value = kv[1];
          break;
        }
        case MAP_VALUES: {
          let v: unknown;
          try {
            v = op.fn(value, key, rec);
          } catch (e) {
            this.ctx.deadLetter(seen(rec, key, value), e, op.name);
            return;
          }
          value = v;
          break;
        }
        case SELECT_KEY: {
          let k: unknown;
          try {
            k = op.fn(value, key, rec);
          } catch (e) {
            this.ctx.deadLetter(seen(rec, key, value), e, op.name);
            return;
          }
          key = k;
          break;
        }
        case PEEK:
          try {
            op.fn(value, key, rec);
          } catch (e) {
            this.ctx.deadLetter(seen(rec, key, value), e, op.name);
            return;
          }
          break;
      }
      op.forwarded++;
    }
    if (this.sink !== undefined) {
      this.sink.write(rec, key, value);
      return;
    }
    const d = this.out;
    if (d.length === 0) return; // the run ends in a forEach: no Rec to make
    const out = seen(rec, key, value);
    for (let i = 0; i < d.length; i++) d[i]!.process(out);
  }
}

/** The record with the run's current key and value (a new Rec only if they changed: downstream operators may keep it). */
function seen(rec: Rec, key: unknown, value: unknown): Rec {
  return key === rec.key && value === rec.value ? rec : rec.with(key, value);
}

/** The operator's only downstream, if it has exactly one and only the main output. */
function soleDownstream(op: Operator): Operator | undefined {
  if (op.outputs.size !== 1) return undefined;
  const main = op.outputs.get('main');
  return main !== undefined && main.length === 1 ? main[0] : undefined;
}
