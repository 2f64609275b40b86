import { TopologyTestDriver, type StreamsApp } from '../../src/index.js';
import type { DriverSnapshot } from '../../src/engine/test-driver.js';
import { InMemoryKeyValueStore } from '../../src/state/memory-store.js';

/** A real in-memory store that counts its writes (how many reach the store and its changelog). */
export class CountingStore extends InMemoryKeyValueStore {
  puts = 0;
  deletes = 0;
  override put(key: Buffer, value: Buffer, id?: string): void {
    this.puts++;
    super.put(key, value, id);
  }
  override delete(key: Buffer, id?: string): boolean {
    this.deletes++;
    return super.delete(key, id);
  }
}

/**
 * A test driver whose stores are CountingStores, pushed to `stores` as the driver makes them;
 * `cacheMaxBytes` bounds their record caches (undefined: unbounded, as in-memory stores are).
 */
export function countingDriver(app: StreamsApp, stores: CountingStore[], cacheMaxBytes: number | undefined, restoreFrom?: DriverSnapshot): TopologyTestDriver {
  const stateStore = () => (name: string) => {
    const s = new CountingStore(name, cacheMaxBytes !== undefined ? { cacheMaxBytes } : {});
    stores.push(s);
    return s;
  };
  return new TopologyTestDriver(app, { stateStore, ...(restoreFrom ? { restoreFrom } : {}) });
}
