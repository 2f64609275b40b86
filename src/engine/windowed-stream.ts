import { avgAgg, countAgg, minAgg, reduceAgg, sumAgg, userAgg, type Aggregation } from './aggregation.js';
import type { Builder, StreamInfo } from './builder.js';
import { decodeState } from './codec.js';
import type { GraphNode } from './graph.js';
import type { Aggregator } from './algorithms/aggregator.js';
import { SessionAggregateOperator } from './operators/session-aggregate.js';
import { WindowAggregateOperator, slotLength } from './operators/window-aggregate.js';
import { windowed, type Serde, type Windowed } from './serdes.js';
import { Stream, type Named } from './stream.js';
import { Table } from './table.js';
import { firstWindowStart, lastWindowStart, type SessionWindows, type TimeWindows, type Windows } from './windows.js';
import { splitKeyWithTime } from '../state/bytes.js';
import { windowEntries } from '../state/window-store.js';
import { codecKeyBytes, windowLookup } from './store-lookup.js';

interface WindowSpec {
  readonly builder: Builder;
  readonly node: GraphNode;
  readonly info: StreamInfo;
  readonly windows: Windows;
  readonly grace: number;
  readonly emit: 'final' | 'update';
}

/**
 * A keyed stream cut into windows. Aggregations give a Table keyed by Windowed<K>, emitted
 * according to the window's emit mode. Records that arrive after all their windows closed
 * (end + grace <= watermark) are late: they are counted, and go to `late()` if it is used,
 * else to the dead-letter topic — never dropped silently.
 */
abstract class WindowedBase<K, V> {
  /** @internal */
  constructor(/** @internal */ readonly spec: WindowSpec) {}

  /** The late records, as they arrived (key, value, timestamp). */
  late(): Stream<K, V> {
    return new Stream<K, V>(this.spec.builder, { node: this.spec.node, port: 'late' }, this.spec.info);
  }

  count(options?: Named): Table<Windowed<K>, number> {
    return this.agg(countAgg(), options);
  }

  sum(this: WindowedBase<K, number>, options?: Named): Table<Windowed<K>, number>;
  sum(selector: (value: V) => number, options?: Named): Table<Windowed<K>, number>;
  sum(a?: ((value: V) => number) | Named, b?: Named): Table<Windowed<K>, number> {
    return typeof a === 'function' ? this.agg(sumAgg(erase1(a)), b) : this.agg(sumAgg(), a);
  }

  min(this: WindowedBase<K, number>, options?: Named): Table<Windowed<K>, number>;
  min(selector: (value: V) => number, options?: Named): Table<Windowed<K>, number>;
  min(a?: ((value: V) => number) | Named, b?: Named): Table<Windowed<K>, number> {
    return typeof a === 'function' ? this.agg(minAgg(erase1(a)), b) : this.agg(minAgg(), a);
  }

  max(this: WindowedBase<K, number>, options?: Named): Table<Windowed<K>, number>;
  max(selector: (value: V) => number, options?: Named): Table<Windowed<K>, number>;
  max(a?: ((value: V) => number) | Named, b?: Named): Table<Windowed<K>, number> {
    return typeof a === 'function' ? this.agg(minAgg(erase1(a), true), b) : this.agg(minAgg(undefined, true), a);
  }

  avg(this: WindowedBase<K, number>, options?: Named): Table<Windowed<K>, number>;
  avg(selector: (value: V) => number, options?: Named): Table<Windowed<K>, number>;
  avg(a?: ((value: V) => number) | Named, b?: Named): Table<Windowed<K>, number> {
    return typeof a === 'function' ? this.agg(avgAgg(erase1(a)), b) : this.agg(avgAgg(), a);
  }

  reduce(fn: (acc: V, value: V, key: K) => V, options?: Named): Table<Windowed<K>, V> {
    return this.agg(reduceAgg(erase3(fn)), options);
  }

  /** @internal */
  agg<A>(agg: Aggregation, options: Named | undefined): Table<Windowed<K>, A> {
    const { builder, node: input, info, windows, grace, emit } = this.spec;
    const name = builder.name(options?.name, `${info.lineage}-${agg.kind}`);
    const keyCodec = builder.storeKeyCodec(info);
    const node = builder.add({
      type: `window-${agg.kind}`,
      name,
      inputs: [{ node: input, port: 'main' }],
      stores: [{ name, logged: true }],
      make: () =>
        windows.kind === 'session'
          ? new SessionAggregateOperator(name, name, windows, grace, emit, agg, keyCodec)
          : new WindowAggregateOperator(name, name, windows, grace, emit, agg, keyCodec),
      read: (store, watermark) => readWindows(store(name), keyCodec, agg, windows, watermark, grace),
      lookup: windowLookup(name, codecKeyBytes(keyCodec), (store, entries, watermark) => readWindows(store, keyCodec, agg, windows, watermark, grace, entries)),
    });
    const keySerde = info.keySerde ? (windowed(info.keySerde) as Serde<unknown>) : undefined;
    return new Table<Windowed<K>, A>(builder, { node, port: 'main' }, {
      keySerde,
      valueSerde: undefined,
      keyChanged: false,
      lineage: name,
      windowed: true,
    });
  }
}

function* readWindows(
  store: import('../state/kv-store.js').KeyValueStore,
  keyCodec: import('./codec.js').StoreKeyCodec,
  agg: Aggregation,
  windows: Windows,
  watermark: number,
  grace: number,
  // Every window entry (the test driver, range queries; not the store's time index), or one key's (interactive queries by key).
  entries: Iterable<import('../state/kv-store.js').KeyValueEntry> = windowEntries(store),
): Iterable<readonly [unknown, unknown]> {
  if (windows.kind !== 'session' && slotLength(windows, agg) !== undefined && windows.size !== windows.advance) {
    // Panes: a window's value is the merge of its panes; the open windows are those not yet closed.
    yield* readPanes(keyCodec, agg, windows, watermark, grace, entries);
    return;
  }
  for (const e of entries) {
    const { key, time: start } = splitKeyWithTime(e.key);
    if (windows.kind === 'session') {
      const [end, acc] = decodeState<[number, unknown]>(e.value);
      yield [{ key: keyCodec.decode(key), start, end }, agg.result(acc)] as const;
    } else {
      yield [{ key: keyCodec.decode(key), start, end: start + windows.size }, agg.result(decodeState(e.value))] as const;
    }
  }
}

function* readPanes(
  keyCodec: import('./codec.js').StoreKeyCodec,
  agg: Aggregation,
  windows: TimeWindows,
  watermark: number,
  grace: number,
  entries: Iterable<import('../state/kv-store.js').KeyValueEntry>,
): Iterable<readonly [unknown, unknown]> {
  // Store order: all panes of a key together, by start.
  let kb: Buffer | undefined;
  let panes: Array<[number, unknown]> = [];
  const flush = function* (): Iterable<readonly [unknown, unknown]> {
    if (!kb || panes.length === 0) return;
    const key = keyCodec.decode(kb);
    const starts = new Set<number>();
    for (const [p] of panes) for (let s = firstWindowStart(windows, p); s <= lastWindowStart(windows, p); s += windows.advance) starts.add(s);
    for (const s of [...starts].sort((a, b) => a - b)) {
      if (s + windows.size + grace <= watermark) continue;
      let acc: unknown = undefined;
      let any = false;
      for (const [p, a] of panes) {
        if (p < s || p >= s + windows.size) continue;
        acc = any ? agg.merge!(acc, a, key) : a;
        any = true;
      }
      yield [{ key, start: s, end: s + windows.size }, agg.result(acc)] as const;
    }
  };
  for (const e of entries) {
    const { key, time } = splitKeyWithTime(e.key);
    if (!kb || !kb.equals(key)) {
      yield* flush();
      kb = Buffer.from(key);
      panes = [];
    }
    panes.push([time, decodeState(e.value)]);
  }
  yield* flush();
}

/** A keyed stream in tumbling or hopping windows. */
export class WindowedStream<K, V> extends WindowedBase<K, V> {
  declare private readonly variance: { key: (k: K) => K; value: () => V; windows: TimeWindows };

  /** With an aggregator from the stream algorithms (`approxDistinct`, `topK`, `quantiles`, ...), or with init/add. */
  aggregate<R>(aggregator: Aggregator<V, any, R>, options?: Named): Table<Windowed<K>, R>;
  aggregate<A>(init: () => A, add: (acc: A, value: V, key: K) => A, options?: Named): Table<Windowed<K>, A>;
  aggregate<A>(a: (() => A) | Aggregator<V, unknown, A>, b?: ((acc: A, value: V, key: K) => A) | Named, c?: Named): Table<Windowed<K>, A> {
    if (typeof a === 'object') return this.agg(a as unknown as Aggregation, b as Named | undefined);
    return this.agg(userAgg('aggregate', a, erase3(b as (acc: A, value: V, key: K) => A)), c);
  }
}

/** A keyed stream in session windows: aggregate() needs a `merge` for when sessions join up. */
export class SessionWindowedStream<K, V> extends WindowedBase<K, V> {
  declare private readonly variance: { key: (k: K) => K; value: () => V; windows: SessionWindows };

  /** With a mergeable aggregator from the stream algorithms, or with init/add/merge. */
  aggregate<R>(aggregator: Aggregator<V, any, R>, options?: Named): Table<Windowed<K>, R>;
  aggregate<A>(init: () => A, add: (acc: A, value: V, key: K) => A, merge: (a: A, b: A, key: K) => A, options?: Named): Table<Windowed<K>, A>;
  aggregate<A>(
    a: (() => A) | Aggregator<V, unknown, A>,
    b?: ((acc: A, value: V, key: K) => A) | Named,
    merge?: (a: A, b: A, key: K) => A,
    options?: Named,
  ): Table<Windowed<K>, A> {
    if (typeof a === 'object') return this.agg(a as unknown as Aggregation, b as Named | undefined);
    return this.agg(userAgg('aggregate', a, erase3(b as (acc: A, value: V, key: K) => A), erase3(merge!)), options);
  }
}

function erase1(f: unknown): (v: unknown) => number {
  return f as (v: unknown) => number;
}

function erase3(f: unknown): (a: unknown, b: unknown, c: unknown) => unknown {
  return f as (a: unknown, b: unknown, c: unknown) => unknown;
}
