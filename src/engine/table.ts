import type { Builder, StreamInfo, Upstream } from './builder.js';
import { decodeState } from './codec.js';
import { TopologyError } from './errors.js';
import type { Getter } from './graph.js';
import { readAll } from './store-read.js';
import { codecKeyBytes, keyValueLookup } from './store-lookup.js';
import { TableFilterOperator } from './operators/table-filter.js';
import { TableMapValuesOperator } from './operators/table-map-values.js';
import { joinValue, TableTableJoinOperator, type TableJoinKind } from './operators/table-table-join.js';
import { TableToStreamOperator } from './operators/table-to-stream.js';
import { ToTableOperator } from './operators/to-table.js';
import { sinkTo, Stream, type Named, type SinkOptions } from './stream.js';
import { groupTable, type GroupedTable, type GroupTableOptions } from './grouped-table.js';
import type { KeyValue } from './records.js';

export interface TableInfo extends StreamInfo {
  /** Keyed by Windowed<K> (a windowed aggregation's result): cannot be looked up or joined. */
  readonly windowed: boolean;
}

/**
 * A changelog stream read as a table: the latest value per key. Updates flow downstream as
 * records; a null value (a tombstone) deletes the key. Joins look up a table's current value
 * in its store (a source table's store, an aggregation's store) or compute it from its parents'
 * (filter, mapValues, a join).
 */
export class Table<K, V> {
  declare private readonly variance: { key: (k: K) => K; value: () => V };

  /** @internal */
  constructor(
    /** @internal */ readonly builder: Builder,
    /** @internal */ readonly upstream: Upstream,
    /** @internal */ readonly info: TableInfo,
  ) {}

  /** Keeps the keys whose value satisfies `predicate` (others read as absent; updates that fail it delete the key downstream). */
  filter(predicate: (value: V, key: K) => boolean, options?: Named): Table<K, V> {
    const name = this.builder.name(options?.name, `${this.info.lineage}-filter`);
    const parent = this.upstream.node;
    const pred = predicate as (v: unknown, k: unknown) => boolean;
    const node = this.builder.add({
      type: 'table-filter',
      name,
      inputs: [this.upstream],
      make: () => new TableFilterOperator(name, pred),
      getter: (r) => {
        const g = r.getterOf(parent);
        return (k) => {
          const v = g(k);
          return v !== undefined && pred(v, k) ? v : undefined;
        };
      },
    });
    return new Table<K, V>(this.builder, { node, port: 'main' }, { ...this.info });
  }

  /** A table of `fn(value)` per key. */
  mapValues<V2>(fn: (value: V, key: K) => V2, options?: Named): Table<K, V2> {
    const name = this.builder.name(options?.name, `${this.info.lineage}-mapValues`);
    const parent = this.upstream.node;
    const f = fn as (v: unknown, k: unknown) => unknown;
    const node = this.builder.add({
      type: 'table-mapValues',
      name,
      inputs: [this.upstream],
      make: () => new TableMapValuesOperator(name, f),
      getter: (r) => {
        const g = r.getterOf(parent);
        return (k) => {
          const v = g(k);
          return v === undefined ? undefined : f(v, k);
        };
      },
    });
    return new Table<K, V2>(this.builder, { node, port: 'main' }, { ...this.info, valueSerde: undefined });
  }

  /**
   * Regroups the table by a new key (Kafka Streams' KTable#groupBy): `fn` maps each row to
   * [new key, new value]; the result's count/aggregate/reduce take a row's old value out of its
   * old group whenever the row changes or is deleted. Repartitions through
   * `<applicationId>-<name>-repartition`.
   */
  groupBy<K2, V2>(fn: (value: V, key: K) => KeyValue<K2, V2>, options?: GroupTableOptions<K2, V2>): GroupedTable<K2, V2> {
    if (this.info.windowed) throw new TopologyError('groupBy(): a windowed table cannot be regrouped; use toStream() first');
    return groupTable(this, fn, options);
  }

  /** The table's updates as a stream (deletes are not part of it). */
  toStream(options?: Named): Stream<K, V> {
    const name = this.builder.name(options?.name, `${this.info.lineage}-toStream`);
    const node = this.builder.add({
      type: 'toStream',
      name,
      inputs: [this.upstream],
      make: () => new TableToStreamOperator(name),
    });
    return new Stream<K, V>(this.builder, { node, port: 'main' }, this.info);
  }

  /** Inner join: a value for the keys present in both tables. */
  join<VO, R>(other: Table<K, VO>, joiner: (left: V, right: VO, key: K) => R, options?: Named): Table<K, R> {
    return this.tableJoin(other, joiner as Joiner, 'inner', options);
  }

  /** Left join: a value for every key of this table. */
  leftJoin<VO, R>(other: Table<K, VO>, joiner: (left: V, right: VO | undefined, key: K) => R, options?: Named): Table<K, R> {
    return this.tableJoin(other, joiner as Joiner, 'left', options);
  }

  /** Outer join: a value for every key of either table. */
  outerJoin<VO, R>(
    other: Table<K, VO>,
    joiner: (left: V | undefined, right: VO | undefined, key: K) => R,
    options?: Named,
  ): Table<K, R> {
    return this.tableJoin(other, joiner as Joiner, 'outer', options);
  }

  /** Writes the table's changelog (updates, and deletes as tombstones) to a topic. */
  to(topic: string, options?: SinkOptions<K, V>): import('./sink.js').Sink<K, V> {
    return sinkTo(this.builder, this.upstream, this.info, topic, options);
  }

  private tableJoin<VO, R>(other: Table<K, VO>, joiner: Joiner, kind: TableJoinKind, options: Named | undefined): Table<K, R> {
    if (other.builder !== this.builder) throw new TopologyError('join(): the tables belong to different apps');
    if (this.info.windowed || other.info.windowed) throw new TopologyError('join(): windowed tables cannot be joined');
    const name = this.builder.name(
      options?.name,
      `${this.info.lineage}-${kind === 'inner' ? '' : kind + '-'}join-${other.info.lineage}`,
    );
    const l = this.upstream.node;
    const r = other.upstream.node;
    const node = this.builder.add({
      type: `table-table-${kind}-join`,
      name,
      inputs: [this.upstream, other.upstream],
      join: true,
      colocated: [l, r],
      make: (res) => new TableTableJoinOperator(name, res.getterOf(l), res.getterOf(r), joiner, kind),
      inputFor: (op, i) => (op as TableTableJoinOperator).port(i === 0 ? 0 : 1),
      getter: (res) => {
        const gl = res.getterOf(l);
        const gr = res.getterOf(r);
        return (k) => joinValue(gl(k), gr(k), k, joiner, kind);
      },
    });
    return new Table<K, R>(this.builder, { node, port: 'main' }, {
      keySerde: this.info.keySerde ?? other.info.keySerde,
      valueSerde: undefined,
      keyChanged: false,
      lineage: name,
      windowed: false,
    });
  }
}

type Joiner = (a: unknown, b: unknown, key: unknown) => unknown;

/** @internal stream.toTable(): the latest value per key, in a store. */
export function tableFromStream<K, V>(s: Stream<K, V>, userName: string | undefined): Table<K, V> {
  const name = s.builder.name(userName, `${s.info.lineage}-toTable`);
  const keyCodec = s.builder.storeKeyCodec(s.info);
  const node = s.builder.add({
    type: 'toTable',
    name,
    inputs: [s.upstream],
    stores: [{ name, logged: true }],
    make: () => new ToTableOperator(name, name, keyCodec),
    getter: (r): Getter => (k) => (r.operatorOf(node) as ToTableOperator).get(k),
    read: (store) => readAll(store(name), (k) => keyCodec.decode(k), (v) => decodeState(v)),
    lookup: keyValueLookup(name, codecKeyBytes(keyCodec), (v) => decodeState(v)),
  });
  return new Table<K, V>(s.builder, { node, port: 'main' }, { ...s.info, lineage: name, windowed: false });
}
