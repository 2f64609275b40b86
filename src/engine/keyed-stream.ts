import type { Aggregator } from './algorithms/aggregator.js';
import { avgAgg, countAgg, minAgg, reduceAgg, sumAgg, userAgg, type Aggregation } from './aggregation.js';
import { decodeState } from './codec.js';
import { formatMillis, toMillis, type Duration } from './duration.js';
import { AggregateOperator, type AggregateEmit } from './operators/aggregate.js';
import { LatenessOperator } from './operators/lateness.js';
import type { ProcessorSupplier } from './processor.js';
import type { Named, Stream } from './stream.js';
import { Table } from './table.js';
import { SessionWindowedStream, WindowedStream } from './windowed-stream.js';
import { describeWindows, type SessionWindows, type TimeWindows, type Windows } from './windows.js';
import { readAll } from './store-read.js';
import { codecKeyBytes, keyValueLookup } from './store-lookup.js';

export interface WindowOptions extends Named {
  /** How long after a window's end (in watermark terms) records may still arrive; default 0. */
  readonly grace?: Duration;
  /**
   * 'final' (default): one result per window, when the watermark passes end + grace.
   * 'update': a result for every change (and, for sessions, a null for every merged-away session).
   */
  readonly emit?: 'final' | 'update';
}

export interface AggregateOptions extends Named {
  /**
   * 'update' (default): every record's new result goes downstream at once.
   * 'batch': only the last new result per key of each input batch goes downstream (as Flink's
   * mini-batch and Kafka Streams' record cache do): fewer updates, the same table — what a reader
   * keeping the latest value per key sees is unchanged, intermediate values may be skipped.
   */
  readonly emit?: AggregateEmit;
}

/**
 * A stream whose records are partitioned by their key, ready for keyed state: aggregations
 * (which make a Table), windows, and keyed processors.
 */
export class KeyedStream<K, V> {
  /** @internal */
  constructor(/** @internal */ readonly stream: Stream<K, V>) {}

  /** The records, as a plain stream (already partitioned by key). */
  toStream(): Stream<K, V> {
    return this.stream;
  }

  /** Windows the stream: tumbling and hopping windows. */
  window(windows: TimeWindows, options?: WindowOptions): WindowedStream<K, V>;
  /** Windows the stream: session windows. */
  window(windows: SessionWindows, options?: WindowOptions): SessionWindowedStream<K, V>;
  window(windows: Windows, options?: WindowOptions): WindowedStream<K, V> | SessionWindowedStream<K, V> {
    const s = this.stream;
    const grace = toMillis(options?.grace ?? 0, 'grace');
    const emit = options?.emit ?? 'final';
    const name = s.builder.name(options?.name, `${s.info.lineage}-window`);
    const node = s.builder.add({
      type: 'window',
      name,
      inputs: [s.upstream],
      make: () => new LatenessOperator(name, windows, grace),
      detail: `${describeWindows(windows)}, grace ${formatMillis(grace)}, emit ${emit}`,
    });
    const spec = { builder: s.builder, node, info: { ...s.info, lineage: name }, windows, grace, emit };
    return windows.kind === 'session' ? new SessionWindowedStream<K, V>(spec) : new WindowedStream<K, V>(spec);
  }

  /** Folds each key's records into an accumulator: a table of the latest accumulator per key. */
  aggregate<R>(aggregator: Aggregator<V, any, R>, options?: AggregateOptions): Table<K, R>;
  aggregate<A>(init: () => A, add: (acc: A, value: V, key: K) => A, options?: AggregateOptions): Table<K, A>;
  aggregate<A>(a: (() => A) | Aggregator<V, unknown, A>, b?: ((acc: A, value: V, key: K) => A) | AggregateOptions, c?: AggregateOptions): Table<K, A> {
    if (typeof a === 'object') return this.agg(a as unknown as Aggregation, b as AggregateOptions | undefined);
    return this.agg(userAgg('aggregate', a, erase3(b as (acc: A, value: V, key: K) => A)), c);
  }

  /** Combines each key's values pairwise: a table of the latest combination per key. */
  reduce(fn: (acc: V, value: V, key: K) => V, options?: AggregateOptions): Table<K, V> {
    return this.agg(reduceAgg(erase3(fn)), options);
  }

  count(options?: AggregateOptions): Table<K, number> {
    return this.agg(countAgg(), options);
  }

  sum(this: KeyedStream<K, number>, options?: AggregateOptions): Table<K, number>;
  sum(selector: (value: V) => number, options?: AggregateOptions): Table<K, number>;
  sum(a?: ((value: V) => number) | AggregateOptions, b?: AggregateOptions): Table<K, number> {
    return typeof a === 'function' ? this.agg(sumAgg(erase1(a)), b) : this.agg(sumAgg(), a);
  }

  min(this: KeyedStream<K, number>, options?: AggregateOptions): Table<K, number>;
  min(selector: (value: V) => number, options?: AggregateOptions): Table<K, number>;
  min(a?: ((value: V) => number) | AggregateOptions, b?: AggregateOptions): Table<K, number> {
    return typeof a === 'function' ? this.agg(minAgg(erase1(a)), b) : this.agg(minAgg(), a);
  }

  max(this: KeyedStream<K, number>, options?: AggregateOptions): Table<K, number>;
  max(selector: (value: V) => number, options?: AggregateOptions): Table<K, number>;
  max(a?: ((value: V) => number) | AggregateOptions, b?: AggregateOptions): Table<K, number> {
    return typeof a === 'function' ? this.agg(minAgg(erase1(a), true), b) : this.agg(minAgg(undefined, true), a);
  }

  avg(this: KeyedStream<K, number>, options?: AggregateOptions): Table<K, number>;
  avg(selector: (value: V) => number, options?: AggregateOptions): Table<K, number>;
  avg(a?: ((value: V) => number) | AggregateOptions, b?: AggregateOptions): Table<K, number> {
    return typeof a === 'function' ? this.agg(avgAgg(erase1(a)), b) : this.agg(avgAgg(), a);
  }

  /** A custom keyed processor; see Stream.process. */
  process<KOut, VOut>(supplier: ProcessorSupplier<K, V, KOut, VOut>, options?: Named): Stream<KOut, VOut> {
    return this.stream.process(supplier, options);
  }

  private agg<A>(agg: Aggregation, options: AggregateOptions | undefined): Table<K, A> {
    const s = this.stream;
    const name = s.builder.name(options?.name, `${s.info.lineage}-${agg.kind}`);
    const keyCodec = s.builder.storeKeyCodec(s.info);
    const node = s.builder.add({
      type: agg.kind,
      name,
      inputs: [s.upstream],
      stores: [{ name, logged: true }],
      make: () => new AggregateOperator(name, name, agg, keyCodec, options?.emit ?? 'update'),
      getter: (r) => {
        return (key) => (r.operatorOf(node) as AggregateOperator).get(key);
      },
      read: (store) => readAll(store(name), (k) => keyCodec.decode(k), (v) => agg.result(decodeState(v))),
      lookup: keyValueLookup(name, codecKeyBytes(keyCodec), (v) => agg.result(decodeState(v))),
    });
    return new Table<K, A>(s.builder, { node, port: 'main' }, { ...s.info, valueSerde: undefined, lineage: name, windowed: false });
  }
}

function erase1(f: unknown): (v: unknown) => number {
  return f as (v: unknown) => number;
}

function erase3(f: unknown): (a: unknown, b: unknown, c: unknown) => unknown {
  return f as (a: unknown, b: unknown, c: unknown) => unknown;
}
