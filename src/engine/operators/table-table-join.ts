import type { Getter } from '../graph.js';
import type { Rec } from '../records.js';
import { InputPort, Operator } from './operator.js';

export type TableJoinKind = 'inner' | 'left' | 'outer';

/**
 * Table-table join: an update on either side looks up the other side's current value and sends
 * the joined value for the key downstream — or a delete (null) when the key is no longer in the
 * join's result.
 */
export class TableTableJoinOperator extends Operator {
  private readonly ports: [InputPort, InputPort];

  constructor(
    name: string,
    private readonly left: Getter,
    private readonly right: Getter,
    private readonly joiner: (a: unknown, b: unknown, key: unknown) => unknown,
    private readonly kind: TableJoinKind,
  ) {
    super(name);
    this.ports = [new InputPort(`${name}-left`, this, 0), new InputPort(`${name}-right`, this, 1)];
  }

  port(side: 0 | 1): Operator {
    return this.ports[side];
  }

  process(rec: Rec): void {
    this.processSide(0, rec);
  }

  processSide(side: 0 | 1, rec: Rec): void {
    let out: unknown;
    try {
      const v = rec.value === null ? undefined : rec.value;
      const l = side === 0 ? v : this.left(rec.key);
      const r = side === 1 ? v : this.right(rec.key);
      out = joinValue(l, r, rec.key, this.joiner, this.kind);
    } catch (e) {
      this.ctx.deadLetter(rec, e, this.name);
      return;
    }
    this.forward(rec.with(rec.key, out === undefined ? null : out));
  }
}

type Joiner = (a: unknown, b: unknown, key: unknown) => unknown;

/** The value of a table-table join for a key given both sides' values (undefined = absent). */
export function joinValue(l: unknown, r: unknown, key: unknown, joiner: Joiner, kind: TableJoinKind): unknown {
  if (kind === 'inner') return l !== undefined && r !== undefined ? joiner(l, r, key) : undefined;
  if (kind === 'left') return l !== undefined ? joiner(l, r, key) : undefined;
  return l !== undefined || r !== undefined ? joiner(l, r, key) : undefined;
}
