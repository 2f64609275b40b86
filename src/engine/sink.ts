import type { Serde } from './serdes.js';

/**
 * A topic the application writes, returned by `to()`: hand it to the test driver's `output()`
 * to read the topic back with the right types and serdes.
 */
export class Sink<K, V> {
  declare private readonly variance: { key: (k: K) => K; value: () => V };
  constructor(
    readonly topic: string,
    /** @internal */ readonly keySerde: Serde<K> | undefined,
    /** @internal */ readonly valueSerde: Serde<V> | undefined,
  ) {}
}
