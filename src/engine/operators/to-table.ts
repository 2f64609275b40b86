import type { KeyValueStore } from '../../state/kv-store.js';
import { decodeState, encodeState, type StoreKeyCodec } from '../codec.js';
import type { Rec } from '../records.js';
import { Operator } from './operator.js';

/** stream.toTable(): keeps the latest value per key (null deletes) and passes the update on. */
export class ToTableOperator extends Operator {
  private store!: KeyValueStore;

  constructor(
    name: string,
    private readonly storeName: string,
    private readonly keyCodec: StoreKeyCodec,
  ) {
    super(name);
  }

  override open(): void {
    this.store = this.ctx.store(this.storeName);
  }

  process(rec: Rec): void {
    const kb = this.keyCodec.encode(rec.key);
    if (rec.value === null || rec.value === undefined) this.store.delete(kb);
    else this.store.put(kb, encodeState(rec.value));
    this.forward(rec);
  }

  get(key: unknown): unknown {
    const b = this.store.get(this.keyCodec.encode(key));
    return b ? decodeState(b) : undefined;
  }
}
