/**
 * An aggregation as window and table operators run it: the accumulator lives in a store (encoded
 * with V8's structured clone), `result` turns it into the emitted value (avg keeps sum and
 * count, emits their ratio). `merge` combines two accumulators (session windows merging).
 */
export interface Aggregation {
  readonly kind: string;
  init(): unknown;
  add(acc: unknown, value: unknown, key: unknown): unknown;
  merge: ((a: unknown, b: unknown, key: unknown) => unknown) | undefined;
  result(acc: unknown): unknown;
  /**
   * `merge` neither mutates nor returns its arguments, so accumulators can be merged again and
   * again (hopping windows merge their panes at every emission); true for the built-in numeric ones.
   */
  readonly pureMerge?: boolean;
}

type Sel = (value: unknown) => number;
const id: Sel = (v) => v as number;

export function countAgg(): Aggregation {
  return { kind: 'count', pureMerge: true, init: () => 0, add: (a) => (a as number) + 1, merge: (a, b) => (a as number) + (b as number), result: (a) => a };
}

export function sumAgg(sel: Sel = id): Aggregation {
  return {
    kind: 'sum',
    pureMerge: true,
    init: () => 0,
    add: (a, v) => (a as number) + sel(v),
    merge: (a, b) => (a as number) + (b as number),
    result: (a) => a,
  };
}

export function minAgg(sel: Sel = id, max = false): Aggregation {
  const pick = (a: number | null, b: number | null): number | null =>
    a === null ? b : b === null ? a : max ? Math.max(a, b) : Math.min(a, b);
  return {
    kind: max ? 'max' : 'min',
    pureMerge: true,
    init: () => null,
    add: (a, v) => pick(a as number | null, sel(v)),
    merge: (a, b) => pick(a as number | null, b as number | null),
    result: (a) => a,
  };
}

export function avgAgg(sel: Sel = id): Aggregation {
  type S = { sum: number; count: number };
  return {
    kind: 'avg',
    pureMerge: true,
    init: () => ({ sum: 0, count: 0 }),
    add: (a, v) => ({ sum: (a as S).sum + sel(v), count: (a as S).count + 1 }),
    merge: (a, b) => ({ sum: (a as S).sum + (b as S).sum, count: (a as S).count + (b as S).count }),
    result: (a) => ((a as S).count === 0 ? null : (a as S).sum / (a as S).count),
  };
}

export function userAgg(
  kind: string,
  init: () => unknown,
  add: (acc: unknown, value: unknown, key: unknown) => unknown,
  merge?: (a: unknown, b: unknown, key: unknown) => unknown,
): Aggregation {
  return { kind, init, add, merge, result: (a) => a };
}

/** reduce(): the first value is the accumulator; `undefined` marks "no value yet". */
export function reduceAgg(fn: (acc: unknown, value: unknown, key: unknown) => unknown): Aggregation {
  return {
    kind: 'reduce',
    init: () => undefined,
    add: (a, v, k) => (a === undefined ? v : fn(a, v, k)),
    merge: (a, b, k) => (a === undefined ? b : b === undefined ? a : fn(a, b, k)),
    result: (a) => a,
  };
}
