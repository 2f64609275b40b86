/**
 * The value the engine, plan and scale benches feed their keyed jobs: a key id and an amount,
 * 8 bytes (two big-endian u32), so value decoding costs the same in each of them and next to nothing.
 */
import { custom, type Serde } from '../../src/index.js';

export interface KeyAmount {
  k: number;
  a: number;
}

export const keyAmountSerde: Serde<KeyAmount> = custom<KeyAmount>({
  name: 'key-amount',
  serialize: (v) => {
    const b = Buffer.allocUnsafe(8);
    b.writeUInt32BE(v.k, 0);
    b.writeUInt32BE(v.a, 4);
    return b;
  },
  deserialize: (b) => ({ k: b.readUInt32BE(0), a: b.readUInt32BE(4) }),
  deserializeRange: (b, start, end) => {
    if (end - start < 8) throw new RangeError(`key-amount: a value of ${end - start} bytes, not 8`);
    return { k: b.readUInt32BE(start), a: b.readUInt32BE(start + 4) };
  },
});
