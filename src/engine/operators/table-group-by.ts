import type { KeyValueStore } from '../../state/kv-store.js';
import { decodeState, encodeState, type StoreKeyCodec } from '../codec.js';
import type { KeyValue, Rec } from '../records.js';
import { Operator } from './operator.js';

/** A regrouped table's change, as it travels to the aggregation: take a value out, or put one in. */
export const SUBTRACT = 0;
export const ADD = 1;
export type TableChange = readonly [op: typeof SUBTRACT | typeof ADD, value: unknown];

/**
 * table.groupBy(): maps each table row to (new key, new value) and sends the aggregation the
 * change, as Kafka Streams' KTable#groupBy does: for an update of a row, first a SUBTRACT of the
 * row's previous (new key, new value), then an ADD of the current one; a delete sends only the
 * SUBTRACT. The previous mapping of each row is kept in a store of its own (row key -> [new key,
 * new value]), so the operator needs nothing from the table it reads.
 */
export class TableGroupByOperator extends Operator {
  private store!: KeyValueStore;

  constructor(
    name: string,
    private readonly storeName: string,
    private readonly fn: (value: unknown, key: unknown) => KeyValue<unknown, unknown>,
    private readonly keyCodec: StoreKeyCodec,
  ) {
    super(name);
  }

  override open(): void {
    this.store = this.ctx.store(this.storeName);
  }

  process(rec: Rec): void {
    let next: KeyValue<unknown, unknown> | undefined;
    if (rec.value !== null && rec.value !== undefined) {
      try {
        next = this.fn(rec.value, rec.key);
      } catch (e) {
        this.ctx.deadLetter(rec, e, this.name);
        return;
      }
    }
    const kb = this.keyCodec.encode(rec.key);
    const prev = this.store.get(kb);
    if (next) this.store.put(kb, encodeState([next[0], next[1]]));
    else if (prev) this.store.delete(kb);
    if (prev) {
      const [k, v] = decodeState<[unknown, unknown]>(prev);
      this.forward(rec.with(k, [SUBTRACT, v] satisfies TableChange));
    }
    if (next) this.forward(rec.with(next[0], [ADD, next[1]] satisfies TableChange));
  }
}
