import type { Builder } from './builder.js';
import { decodeState } from './codec.js';
import type { KeyValue } from './records.js';
import { GroupedTableAggregateOperator, type TableAggregation } from './operators/grouped-table-aggregate.js';
import { TableGroupByOperator, type TableChange } from './operators/table-group-by.js';
import type { Serde } from './serdes.js';
import { readAll } from './store-read.js';
import { codecKeyBytes, keyValueLookup } from './store-lookup.js';
import { Stream, type Named } from './stream.js';
import { Table } from './table.js';

export interface GroupTableOptions<K, V> extends Named {
  /** Serde of the new key on the repartition topic (and in stores); default: the auto format. */
  readonly key?: Serde<K>;
  /** Serde of the new value on the repartition topic; default: the auto format. */
  readonly value?: Serde<V>;
  /** Partitions of the repartition topic; default: as many as the table's sub-topology has tasks. */
  readonly partitions?: number;
}

/**
 * A table regrouped by a new key (Kafka Streams' KGroupedTable), from `table.groupBy(...)`. Its
 * aggregations keep one value per new key and, unlike a stream's, take values out again: when a
 * row of the table changes, its old value is subtracted from its old group and the new one added
 * to its new group (a row that moved to another key leaves its old group). Updates go through a
 * repartition topic as two records, the subtraction first; a downstream reader sees the
 * intermediate result in between when the row stays in its group, as with Kafka Streams without
 * a record cache.
 */
export class GroupedTable<K, V> {
  declare private readonly variance: { key: (k: K) => K; value: () => V };

  /** @internal */
  constructor(private readonly changes: Stream<K, TableChange>, private readonly lineage: string) {}

  /** The number of rows per new key (0 when every row left the group). */
  count(options?: Named): Table<K, number> {
    return this.agg({ kind: 'count', init: () => 0, add: (a) => (a as number) + 1, subtract: (a) => (a as number) - 1 }, options);
  }

  /** Folds the rows of each new key: `adder` for a row coming in, `subtractor` for one going out. */
  aggregate<A>(
    init: () => A,
    adder: (acc: A, value: V, key: K) => A,
    subtractor: (acc: A, value: V, key: K) => A,
    options?: Named,
  ): Table<K, A> {
    type F = (a: unknown, v: unknown, k: unknown) => unknown;
    return this.agg({ kind: 'aggregate', init, add: adder as F, subtract: subtractor as F }, options);
  }

  /** Combines the rows of each new key: `adder` for a row coming in, `subtractor` for one going out. */
  reduce(adder: (acc: V, value: V, key: K) => V, subtractor: (acc: V, value: V, key: K) => V, options?: Named): Table<K, V> {
    type F = (a: unknown, v: unknown, k: unknown) => unknown;
    const add = adder as F;
    const sub = subtractor as F;
    return this.agg(
      {
        kind: 'reduce',
        init: () => undefined,
        add: (a, v, k) => (a === undefined ? v : add(a, v, k)),
        subtract: (a, v, k) => (a === undefined ? a : sub(a, v, k)),
      },
      options,
    );
  }

  private agg<A>(agg: TableAggregation, options: Named | undefined): Table<K, A> {
    const s = this.changes;
    const name = s.builder.name(options?.name, `${this.lineage}-${agg.kind}`);
    const keyCodec = s.builder.storeKeyCodec(s.info);
    const node = s.builder.add({
      type: `grouped-table-${agg.kind}`,
      name,
      inputs: [s.upstream],
      stores: [{ name, logged: true }],
      make: () => new GroupedTableAggregateOperator(name, name, agg, keyCodec),
      getter: (r) => (key) => (r.operatorOf(node) as GroupedTableAggregateOperator).get(key),
      read: (store) => readAll(store(name), (k) => keyCodec.decode(k), (v) => decodeState(v)),
      lookup: keyValueLookup(name, codecKeyBytes(keyCodec), (v) => decodeState(v)),
    });
    return new Table<K, A>(s.builder, { node, port: 'main' }, { ...s.info, valueSerde: undefined, lineage: name, windowed: false });
  }
}

/** @internal table.groupBy(): the regrouping operator and its repartition topic. */
export function groupTable<K, V, K2, V2>(
  table: Table<K, V>,
  fn: (value: V, key: K) => KeyValue<K2, V2>,
  options: GroupTableOptions<K2, V2> | undefined,
): GroupedTable<K2, V2> {
  const builder: Builder = table.builder;
  const name = builder.name(options?.name, `${table.info.lineage}-groupBy`);
  const keyCodec = builder.storeKeyCodec(table.info);
  const f = fn as (v: unknown, k: unknown) => KeyValue<unknown, unknown>;
  const node = builder.add({
    type: 'table-groupBy',
    name,
    inputs: [table.upstream],
    stores: [{ name, logged: true }],
    make: () => new TableGroupByOperator(name, name, f, keyCodec),
  });
  const valueSerde = options?.value ? changeSerde(options.value as Serde<unknown>) : undefined;
  const changes = new Stream<K2, TableChange>(builder, { node, port: 'main' }, {
    keySerde: options?.key as Serde<unknown> | undefined,
    valueSerde,
    keyChanged: true,
    lineage: name,
  }).repartitioned(name, { key: options?.key, value: valueSerde as Serde<TableChange> | undefined, partitions: options?.partitions });
  return new GroupedTable<K2, V2>(changes, name);
}

/** A change on the repartition topic with the user's value serde: one byte (subtract/add), then the value. */
function changeSerde(inner: Serde<unknown>): Serde<unknown> {
  return {
    name: `change(${inner.name ?? 'custom'})`,
    serialize: (c) => {
      const [op, v] = c as TableChange;
      const b = inner.serialize(v);
      const out = Buffer.allocUnsafe(b.length + 1);
      out[0] = op;
      out.set(b, 1);
      return out;
    },
    deserialize: (b) => [b[0] as 0 | 1, inner.deserialize(b.subarray(1))] satisfies TableChange,
  };
}
