import type { Builder, StreamInfo, Upstream } from './builder.js';
import { KEY_FORMAT_HEADER, TopicCodec, VALUE_FORMAT_HEADER } from './codec.js';
import { formatMillis, toMillis, type Duration } from './duration.js';
import { TopologyError } from './errors.js';
import type { GraphNode } from './graph.js';
import { KeyedStream } from './keyed-stream.js';
import { BranchOperator } from './operators/branch.js';
import { FilterOperator } from './operators/filter.js';
import { FlatMapOperator } from './operators/flat-map.js';
import { ForEachOperator } from './operators/for-each.js';
import { MapAsyncOperator } from './operators/map-async.js';
import type { Operator } from './operators/operator.js';
import { MapValuesOperator } from './operators/map-values.js';
import { MapOperator } from './operators/map.js';
import { PassOperator } from './operators/pass.js';
import { PeekOperator } from './operators/peek.js';
import { ProcessOperator } from './operators/process.js';
import { SelectKeyOperator } from './operators/select-key.js';
import { SinkOperator } from './operators/sink.js';
import { StreamStreamJoinOperator, type JoinKind } from './operators/stream-stream-join.js';
import { StreamTableJoinOperator } from './operators/stream-table-join.js';
import { erase } from './operators/user-fn.js';
import type { Partitioner } from './partitioner.js';
import type { ProcessorSupplier } from './processor.js';
import type { KeyValue, RecordContext } from './records.js';
import type { Serde, Serializer } from './serdes.js';
import { Sink } from './sink.js';
import { Table, tableFromStream } from './table.js';

/** Names the operator (and its state, topics, and describe() line). Stable names keep state across topology changes. */
export interface Named {
  readonly name?: string;
}

export interface RepartitionOptions<K, V> extends Named {
  /** Serde of the new key on the repartition topic (and in stores); default: the auto format. */
  readonly key?: Serde<K>;
  /** Serde of the value on the repartition topic; default: the stream's serde if known, else auto. */
  readonly value?: Serde<V>;
  /** Partitions of the repartition topic; default: as many as the upstream sub-topology has tasks. */
  readonly partitions?: number;
  /** Default: Kafka's murmur2 of the key bytes. */
  readonly partitioner?: Partitioner<K, V>;
}

export interface SinkOptions<K, V> extends Named {
  /** Default: the stream's key serde if still known, else the auto format (see codec.ts). */
  readonly key?: Serializer<K>;
  readonly value?: Serializer<V>;
  readonly partitioner?: Partitioner<K, V>;
}

export interface JoinWindowOptions extends Named {
  /** Records join when their event times are at most this far apart. */
  readonly within: Duration;
  /** How long after `within` a record may still arrive (in watermark terms); default 0. */
  readonly grace?: Duration;
}

export interface MapAsyncOptions extends Named {
  /** Calls in flight at once, across keys (default 16). Calls for one key run one at a time, in order. */
  readonly concurrency?: number;
}

/** What a predicate in branch() narrows the value to (a type guard narrows, a boolean does not). */
export type Narrowed<V, F> = F extends (value: V, ...rest: never[]) => value is (infer U extends V) ? U : V;

/** branch(): one typed stream per predicate, plus `default` for records no predicate took. */
export type Branches<K, V, B> = { readonly [N in keyof B]: Stream<K, Narrowed<V, B[N]>> } & { readonly default: Stream<K, V> };

type Fn<K, V, R> = (value: V, key: K, record: RecordContext) => R;

/**
 * An unbounded stream of keyed records. Every operation returns a new Stream (or KeyedStream,
 * Table); nothing runs until the topology is given to a runtime or the TopologyTestDriver.
 *
 * User functions get `(value, key, record)`; `record` has the event timestamp, headers and the
 * input topic/partition/offset. A function that throws sends the record to the dead-letter topic.
 */
export class Stream<K, V> {
  declare private readonly variance: { key: (k: K) => K; value: () => V };

  /** @internal Use StreamsApp.stream() and the methods of Stream. */
  constructor(
    /** @internal */ readonly builder: Builder,
    /** @internal */ readonly upstream: Upstream,
    /** @internal */ readonly info: StreamInfo,
  ) {}

  /** Keeps the records for which `predicate` holds (a type guard narrows the value type). */
  filter<V2 extends V>(predicate: (value: V, key: K, record: RecordContext) => value is V2, options?: Named): Stream<K, V2>;
  filter(predicate: Fn<K, V, boolean>, options?: Named): Stream<K, V>;
  filter(predicate: Fn<K, V, boolean>, options?: Named): Stream<K, V> {
    const name = this.builder.name(options?.name, `${this.info.lineage}-filter`);
    return this.next('filter', name, () => new FilterOperator(name, erase(predicate)), this.info);
  }

  /** Drops the records for which `predicate` holds. */
  filterNot(predicate: Fn<K, V, boolean>, options?: Named): Stream<K, V> {
    return this.filter((v, k, r) => !predicate(v, k, r), options);
  }

  /** New key and value for each record. Keyed operations after a key change repartition first. */
  map<K2, V2>(fn: Fn<K, V, KeyValue<K2, V2>>, options?: Named): Stream<K2, V2> {
    const name = this.builder.name(options?.name, `${this.info.lineage}-map`);
    return this.next('map', name, () => new MapOperator(name, erase(fn)), {
      ...this.info,
      keySerde: undefined,
      valueSerde: undefined,
      keyChanged: true,
    });
  }

  /** New value for each record; the key, and so the partitioning, stay. */
  mapValues<V2>(fn: Fn<K, V, V2>, options?: Named): Stream<K, V2> {
    const name = this.builder.name(options?.name, `${this.info.lineage}-mapValues`);
    return this.next('mapValues', name, () => new MapValuesOperator(name, erase(fn)), { ...this.info, valueSerde: undefined });
  }

  /** Zero or more [key, value] pairs per record. */
  flatMap<K2, V2>(fn: Fn<K, V, Iterable<KeyValue<K2, V2>>>, options?: Named): Stream<K2, V2> {
    const name = this.builder.name(options?.name, `${this.info.lineage}-flatMap`);
    return this.next('flatMap', name, () => new FlatMapOperator(name, erase(fn), false), {
      ...this.info,
      keySerde: undefined,
      valueSerde: undefined,
      keyChanged: true,
    });
  }

  /** Zero or more values per record, each with the record's key. */
  flatMapValues<V2>(fn: Fn<K, V, Iterable<V2>>, options?: Named): Stream<K, V2> {
    const name = this.builder.name(options?.name, `${this.info.lineage}-flatMapValues`);
    return this.next('flatMapValues', name, () => new FlatMapOperator(name, erase(fn), true), {
      ...this.info,
      valueSerde: undefined,
    });
  }

  /** Calls `fn` for each record (logging, metrics) and passes it on. */
  peek(fn: Fn<K, V, unknown>, options?: Named): Stream<K, V> {
    const name = this.builder.name(options?.name, `${this.info.lineage}-peek`);
    return this.next('peek', name, () => new PeekOperator(name, erase(fn)), this.info);
  }

  /**
   * Calls `fn` for each record and ends the chain (Kafka Streams' `KStream#foreach`): no output
   * topic, nothing serialized. Exactly-once still covers the app's state and input offsets, but
   * `fn`'s side effects are at-least-once: records processed after the last commit are processed
   * again after a crash or a rollback, and `fn` sees them again. A function that throws sends the
   * record to the dead-letter topic.
   */
  forEach(fn: Fn<K, V, unknown>, options?: Named): void {
    const name = this.builder.name(options?.name, `${this.info.lineage}-forEach`);
    this.builder.add({ type: 'forEach', name, inputs: [this.upstream], make: () => new ForEachOperator(name, erase(fn)) });
  }

  /** The records of this stream and the others, interleaved in processing order. */
  merge<V2 = V>(...others: Stream<K, V2>[]): Stream<K, V | V2> {
    const name = this.builder.name(undefined, `${this.info.lineage}-merge`);
    const all = [this as Stream<K, unknown>, ...(others as Stream<K, unknown>[])];
    for (const o of others) if (o.builder !== this.builder) throw new TopologyError('merge(): streams of different apps');
    const sameKey = all.every((s) => s.info.keySerde === this.info.keySerde);
    const sameValue = all.every((s) => s.info.valueSerde === this.info.valueSerde);
    const node = this.builder.add({
      type: 'merge',
      name,
      inputs: all.map((s) => s.upstream),
      make: () => new PassOperator(name),
    });
    return new Stream<K, V | V2>(this.builder, { node, port: 'main' }, {
      keySerde: sameKey ? this.info.keySerde : undefined,
      valueSerde: sameValue ? this.info.valueSerde : undefined,
      keyChanged: all.some((s) => s.info.keyChanged),
      lineage: this.info.lineage,
    });
  }

  /**
   * Splits the stream: each record goes to the first branch whose predicate holds, or to
   * `default`. Type-guard predicates narrow their branch's value type.
   *
   *   const { views, carts, default: other } = clicks.branch({
   *     views: (c): c is View => c.kind === 'view',
   *     carts: (c) => c.kind === 'cart',
   *   });
   */
  branch<B extends Record<string, Fn<K, V, boolean>>>(predicates: B, options?: Named): Branches<K, V, B> {
    if ('default' in predicates) throw new TopologyError(`branch(): 'default' is the name of the remaining records' branch`);
    const name = this.builder.name(options?.name, `${this.info.lineage}-branch`);
    const entries = Object.entries(predicates).map(([p, f]) => [p, erase<boolean>(f)] as const);
    const node = this.builder.add({
      type: 'branch',
      name,
      inputs: [this.upstream],
      make: () => new BranchOperator(name, entries),
      detail: `branches: [${[...entries.map((e) => e[0]), 'default'].join(', ')}]`,
    });
    const out: Record<string, Stream<K, unknown>> = {};
    for (const port of [...Object.keys(predicates), 'default']) {
      out[port] = new Stream(this.builder, { node, port }, this.info);
    }
    return out as Branches<K, V, B>;
  }

  /** New key for each record; keyed operations after it repartition (lazily, only if one follows). */
  selectKey<K2>(fn: Fn<K, V, K2>, options?: Named & { readonly key?: Serde<K2> }): Stream<K2, V> {
    const name = this.builder.name(options?.name, `${this.info.lineage}-selectKey`);
    return this.next('selectKey', name, () => new SelectKeyOperator(name, erase(fn)), {
      ...this.info,
      keySerde: options?.key as Serde<unknown> | undefined,
      keyChanged: true,
    });
  }

  /**
   * Re-keys the stream and repartitions it through `<applicationId>-<name>-repartition`, so that
   * all records of a key are processed by the same task: the start of a new sub-topology.
   */
  keyBy<K2>(fn: Fn<K, V, K2>, options?: RepartitionOptions<K2, V>): KeyedStream<K2, V> {
    const name = this.builder.name(options?.name, `${this.info.lineage}-keyBy`);
    const node = this.builder.add({
      type: 'keyBy',
      name,
      inputs: [this.upstream],
      make: () => new SelectKeyOperator(name, erase(fn)),
    });
    const info: StreamInfo = {
      keySerde: options?.key as Serde<unknown> | undefined,
      valueSerde: (options?.value as Serde<unknown> | undefined) ?? this.info.valueSerde,
      keyChanged: true,
      lineage: name,
    };
    return new KeyedStream<K2, V>(new Stream<K2, V>(this.builder, { node, port: 'main' }, info).repartitioned(name, options));
  }

  /** The stream grouped by its current key; repartitions only if the key changed since the last partitioning. */
  groupByKey(options?: RepartitionOptions<K, V>): KeyedStream<K, V> {
    return new KeyedStream<K, V>(this.ensurePartitioned(options));
  }

  /** Always repartitions by the current key (e.g. to change the partition count). */
  repartition(options?: RepartitionOptions<K, V>): Stream<K, V> {
    const name = this.builder.name(options?.name, `${this.info.lineage}-repartition`);
    return this.repartitioned(name, options);
  }

  /**
   * An asynchronous function per record (a lookup, an HTTP call), with at most `concurrency`
   * calls in flight. Calls for the same key run one after another and their results leave in
   * input order; results of different keys may overtake each other.
   *
   * Exactly-once: the runtime commits a batch only after every call the batch started has
   * settled and its result went downstream; until then the task's watermark does not pass the
   * pending records, so they cannot become late. A rejected call sends the record to the
   * dead-letter topic.
   */
  mapAsync<V2>(fn: Fn<K, V, Promise<V2>>, options?: MapAsyncOptions): Stream<K, V2> {
    const name = this.builder.name(options?.name, `${this.info.lineage}-mapAsync`);
    const concurrency = options?.concurrency ?? 16;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new TopologyError('mapAsync concurrency must be an integer >= 1');
    return this.next('mapAsync', name, () => new MapAsyncOperator(name, erase(fn), concurrency), {
      ...this.info,
      valueSerde: undefined,
    });
  }

  /**
   * A custom operator (see Processor for its lifecycle), with keyed state and timers. State is
   * keyed by the record key, so the stream is repartitioned first if its key changed. One
   * processor instance per task.
   */
  process<KOut, VOut>(supplier: ProcessorSupplier<K, V, KOut, VOut>, options?: Named): Stream<KOut, VOut> {
    const input = this.ensurePartitioned(undefined);
    const name = input.builder.name(options?.name, `${input.info.lineage}-process`);
    const keyCodec = input.builder.storeKeyCodec(input.info);
    const node = input.builder.add({
      type: 'process',
      name,
      inputs: [input.upstream],
      stores: [
        { name: `${name}-state`, logged: true },
        { name: `${name}-timers`, logged: true },
      ],
      make: () => new ProcessOperator(name, supplier as ProcessorSupplier<unknown, unknown, unknown, unknown>, keyCodec),
    });
    return new Stream<KOut, VOut>(input.builder, { node, port: 'main' }, {
      keySerde: undefined,
      valueSerde: undefined,
      keyChanged: true,
      lineage: name,
    });
  }

  /** Stream-table join: each record is joined with the table's current value for its key (inner: records without one are skipped). */
  join<VT, R>(table: Table<K, VT>, joiner: (value: V, tableValue: VT, key: K) => R, options?: Named): Stream<K, R>;
  /** Windowed stream-stream join: records of both sides with the same key and event times at most `within` apart. */
  join<VO, R>(other: Stream<K, VO>, joiner: (left: V, right: VO, key: K) => R, options: JoinWindowOptions): Stream<K, R>;
  join<VO, R>(
    other: Table<K, VO> | Stream<K, VO>,
    joiner: (a: V, b: VO, key: K) => R,
    options?: Named | JoinWindowOptions,
  ): Stream<K, R> {
    if (other instanceof Table) return this.tableJoin(other, erase3(joiner), false, options);
    return this.streamJoin(other, erase3(joiner), 'inner', options as JoinWindowOptions);
  }

  /** Like join(), but records without a table value are joined with `undefined`. */
  leftJoin<VT, R>(table: Table<K, VT>, joiner: (value: V, tableValue: VT | undefined, key: K) => R, options?: Named): Stream<K, R>;
  /** Like join(), and left records that matched nothing are joined with `undefined` once their window has closed. */
  leftJoin<VO, R>(other: Stream<K, VO>, joiner: (left: V, right: VO | undefined, key: K) => R, options: JoinWindowOptions): Stream<K, R>;
  leftJoin<VO, R>(
    other: Table<K, VO> | Stream<K, VO>,
    joiner: (a: V, b: VO | undefined, key: K) => R,
    options?: Named | JoinWindowOptions,
  ): Stream<K, R> {
    if (other instanceof Table) return this.tableJoin(other, erase3(joiner), true, options);
    return this.streamJoin(other, erase3(joiner), 'left', options as JoinWindowOptions);
  }

  /** Like join(), and records of either side that matched nothing are emitted once their window has closed. */
  outerJoin<VO, R>(
    other: Stream<K, VO>,
    joiner: (left: V | undefined, right: VO | undefined, key: K) => R,
    options: JoinWindowOptions,
  ): Stream<K, R> {
    return this.streamJoin(other, erase3(joiner), 'outer', options);
  }

  /** The latest value per key, as a table (backed by a store). */
  toTable(options?: Named): Table<K, V> {
    return tableFromStream(this.ensurePartitioned(undefined), options?.name);
  }

  /** Writes the stream to a topic. Without serdes, the stream's known serdes (else the auto format) are used. */
  to(topic: string, options?: SinkOptions<K, V>): Sink<K, V> {
    return sinkTo(this.builder, this.upstream, this.info, topic, options);
  }

  // --------------------------------------------------------------------------------------------

  /** @internal */
  next<K2, V2>(type: string, name: string, make: () => Operator, info: StreamInfo): Stream<K2, V2> {
    const node = this.builder.add({ type, name, inputs: [this.upstream], make });
    return new Stream<K2, V2>(this.builder, { node, port: 'main' }, info);
  }

  /** @internal This stream, repartitioned if its key changed since the last partitioning. */
  ensurePartitioned(options: RepartitionOptions<K, V> | undefined): Stream<K, V> {
    if (!this.info.keyChanged && options?.partitions === undefined && options?.partitioner === undefined) return this;
    const name = this.builder.name(options?.name, `${this.info.lineage}-groupByKey`);
    return this.repartitioned(name, options);
  }

  /** @internal */
  repartitioned(name: string, options: RepartitionOptions<K, V> | undefined): Stream<K, V> {
    const keySerde = (options?.key as Serde<unknown> | undefined) ?? this.info.keySerde;
    const valueSerde = (options?.value as Serde<unknown> | undefined) ?? this.info.valueSerde;
    const partitions = options?.partitions;
    if (partitions !== undefined && (!Number.isInteger(partitions) || partitions < 1)) {
      throw new TopologyError(`repartition '${name}': partitions must be an integer >= 1`);
    }
    const node = this.builder.repartition(this.upstream, {
      name,
      keySerde,
      valueSerde,
      partitions,
      partitioner: options?.partitioner as Partitioner<unknown, unknown> | undefined,
    });
    return new Stream<K, V>(this.builder, { node, port: 'main' }, { keySerde, valueSerde, keyChanged: false, lineage: name });
  }

  private tableJoin<VT, R>(table: Table<K, VT>, joiner: Joiner, left: boolean, options: Named | undefined): Stream<K, R> {
    if (table.builder !== this.builder) throw new TopologyError('join(): the table belongs to another app');
    if (table.info.windowed) throw new TopologyError('join(): windowed tables cannot be joined; use toStream() first');
    // Repartition the stream if needed, with the table's key serde so both sides' key bytes
    // (and so partitions) agree.
    const input = this.info.keyChanged
      ? this.repartitioned(this.builder.name(undefined, `${this.info.lineage}-join-repartition`), {
          key: table.info.keySerde as Serde<K> | undefined,
        })
      : this;
    const name = this.builder.name(options?.name, `${input.info.lineage}-${left ? 'leftJoin' : 'join'}-${table.info.lineage}`);
    const tableNode = table.upstream.node;
    const node = this.builder.add({
      type: left ? 'stream-table-leftJoin' : 'stream-table-join',
      name,
      inputs: [input.upstream],
      colocated: [tableNode],
      join: true,
      make: (r) => new StreamTableJoinOperator(name, r.getterOf(tableNode), joiner, left),
      detail: `table: ${tableNode.name}`,
    });
    return new Stream<K, R>(this.builder, { node, port: 'main' }, { ...input.info, valueSerde: undefined });
  }

  private streamJoin<VO, R>(other: Stream<K, VO>, joiner: Joiner, kind: JoinKind, options: JoinWindowOptions | undefined): Stream<K, R> {
    if (!options || options.within === undefined) throw new TopologyError('a stream-stream join needs { within }');
    if (other.builder !== this.builder) throw new TopologyError('join(): the streams belong to different apps');
    const within = toMillis(options.within, 'join within');
    const grace = toMillis(options.grace ?? 0, 'join grace');
    const l = this.ensurePartitioned(undefined);
    const r = other.ensurePartitioned(undefined);
    const name = this.builder.name(options.name, `${l.info.lineage}-${kind === 'inner' ? '' : kind + '-'}join-${r.info.lineage}`);
    const keyCodec = this.builder.storeKeyCodec(l.info.keySerde ? l.info : r.info);
    const node = this.builder.add({
      type: `stream-stream-${kind}-join`,
      name,
      inputs: [l.upstream, r.upstream],
      join: true,
      stores: [
        { name: `${name}-left`, logged: true },
        { name: `${name}-right`, logged: true },
      ],
      make: () => new StreamStreamJoinOperator(name, joiner, kind, within, grace, keyCodec, [l.info.valueSerde, r.info.valueSerde]),
      inputFor: (op, i) => (op as StreamStreamJoinOperator).port(i === 0 ? 0 : 1),
      detail: `within ${formatMillis(within)}, grace ${formatMillis(grace)}`,
    });
    return new Stream<K, R>(this.builder, { node, port: 'main' }, {
      keySerde: l.info.keySerde ?? r.info.keySerde,
      valueSerde: undefined,
      keyChanged: false,
      lineage: name,
    });
  }
}

type Joiner = (a: unknown, b: unknown, key: unknown) => unknown;

function erase3(f: unknown): Joiner {
  return f as Joiner;
}

/** @internal */
export function streamOf<K, V>(builder: Builder, node: GraphNode, info: StreamInfo): Stream<K, V> {
  return new Stream<K, V>(builder, { node, port: 'main' }, info);
}

/** @internal The sink node of Stream.to() and Table.to(). */
export function sinkTo<K, V>(builder: Builder, upstream: Upstream, info: StreamInfo, topic: string, options: SinkOptions<K, V> | undefined): Sink<K, V> {
  const name = builder.name(options?.name, `${topic}-sink`);
  const keySerde = (options?.key as Serde<unknown> | undefined) ?? info.keySerde;
  const valueSerde = (options?.value as Serde<unknown> | undefined) ?? info.valueSerde;
  const partitioner = options?.partitioner as Partitioner<unknown, unknown> | undefined;
  builder.add({
    type: 'sink',
    name,
    inputs: [upstream],
    sink: { topic, internal: false, partitions: undefined },
    make: () =>
      new SinkOperator(
        name,
        topic,
        new TopicCodec(keySerde, KEY_FORMAT_HEADER, false),
        new TopicCodec(valueSerde, VALUE_FORMAT_HEADER, false),
        partitioner,
        false,
      ),
    detail: `topic: ${topic}`,
  });
  // The driver reads the topic back with these; a serializer without deserialize reads as auto.
  const readable = (s: Serde<unknown> | undefined) => (s && typeof s.deserialize === 'function' ? s : undefined);
  return new Sink<K, V>(topic, readable(keySerde) as Serde<K> | undefined, readable(valueSerde) as Serde<V> | undefined);
}
