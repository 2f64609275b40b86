import type { DriverSnapshot } from '../../src/index.js';
import type { KeyValueStore } from '../../src/state/kv-store.js';
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
