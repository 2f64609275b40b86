import type { KeyValueStore } from '../state/kv-store.js';

/** Decodes every entry of a store (the test driver reading a table). */
export function* readAll(
  store: KeyValueStore,
  key: (b: Buffer) => unknown,
  value: (b: Buffer) => unknown,
): Iterable<readonly [unknown, unknown]> {
  for (const e of store.all()) yield [key(e.key), value(e.value)] as const;
}
