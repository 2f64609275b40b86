import type { DriverSnapshot } from '../../src/index.js';
import type { KeyValueStore } from '../../src/state/kv-store.js';
import { InMemoryKeyValueStore } from '../../src/state/memory-store.js';
import { isTimeIndexKey, splitTimeIndexKey } from '../../src/state/window-store.js';

/** A store's time-index entries (not its marker), as "time|key", sorted. */
export function timeIndexOf(store: KeyValueStore): string[] {
  const out: string[] = [];
  for (const e of store.all()) {
    if (!isTimeIndexKey(e.key) || e.key.length === 4) continue;
    const { time, key } = splitTimeIndexKey(e.key);
    out.push(`${time}|${key.toString('latin1')}`);
  }
  return out.sort();
}

/** How many records each changelog topic of a snapshot holds (partition 0): where a local checkpoint would be. */
export function changelogLengths(snap: DriverSnapshot): Map<string, number> {
  return new Map([...snap.topics].filter(([t]) => t.endsWith('-changelog')).map(([t, ps]) => [t, ps[0]?.length ?? 0]));
}

/** The changelog records written after `lengths`: the tail a checkpoint at `lengths` restores (other topics whole). */
export function changelogTail(snap: DriverSnapshot, lengths: ReadonlyMap<string, number>): DriverSnapshot {
  return { topics: new Map([...snap.topics].map(([t, ps]) => [t, t.endsWith('-changelog') ? ps.map((p) => p.slice(lengths.get(t) ?? 0)) : ps])) };
}

/**
 * A store factory of bounded in-memory stores (timers in the stores' indexes), each kept in `kept`
 * by name, and started with the entries of `from`'s store of that name (a local checkpoint).
 */
export function keptBoundedStores(cacheMaxBytes: number, kept: Map<string, InMemoryKeyValueStore>, from?: ReadonlyMap<string, InMemoryKeyValueStore>) {
  return () => (name: string) => {
    const s = new InMemoryKeyValueStore(name, { cacheMaxBytes });
    for (const e of from?.get(name)?.all() ?? []) s.put(e.key, e.value);
    kept.set(name, s);
    return s;
  };
}

/** A local checkpoint of kept stores: a copy of each (data, index and marker). */
export function copyStores(kept: ReadonlyMap<string, InMemoryKeyValueStore>): Map<string, InMemoryKeyValueStore> {
  return new Map(
    [...kept].map(([name, s]) => {
      const copy = new InMemoryKeyValueStore(name);
      for (const e of s.all()) copy.put(e.key, e.value);
      return [name, copy] as const;
    }),
  );
}
