import { Builder } from './builder.js';
import { TopicCodec, KEY_FORMAT_HEADER, VALUE_FORMAT_HEADER } from './codec.js';
import { toMillis, type Duration } from './duration.js';
import { TableSourceOperator } from './operators/table-source.js';
import { SourceOperator } from './operators/source.js';
import { erase } from './operators/user-fn.js';
import { resolveOptions, type StreamsAppOptions } from './options.js';
import type { RecordContext } from './records.js';
import { bytes, type Serde } from './serdes.js';
import { Stream, type Named } from './stream.js';
import { Table } from './table.js';
import { keyValueLookup, serdeKeyBytes } from './store-lookup.js';
import { TopologyError } from './errors.js';
import { Topology } from './topology.js';
import { resolveRuntimeOptions, type RuntimeOptions } from './runtime/options.js';
import { StreamsRuntime, type RunSummary } from './runtime/runtime.js';

export interface StreamOptions<K, V> extends Named {
  /** Default bytes(): keys as Buffers. */
  readonly key?: Serde<K>;
  /** Default bytes(): values as Buffers. */
  readonly value?: Serde<V>;
  /** The event time of a record; default: the record's timestamp. */
  readonly timestamp?: (value: V, key: K, record: RecordContext) => number;
  /** How far behind the latest event time records may arrive and still be on time (default: the app's, 0). */
  readonly maxOutOfOrderness?: Duration;
  /** See StreamsAppOptions.idleTimeout. */
  readonly idleTimeout?: Duration;
}

export interface TableOptions<K, V> extends Named {
  /** Default bytes(). Must produce the topic's key bytes exactly: lookups serialize keys with it. */
  readonly key?: Serde<K>;
  readonly value?: Serde<V>;
}

/**
 * A stream-processing application: declare its dataflow with stream() and table(), then run
 * its topology (the TopologyTestDriver in tests; the log-backed runtime in production).
 *
 *   const app = new StreamsApp({ applicationId: 'clicks' });
 *   app.stream('clicks', { key: string(), value: json<Click>(), timestamp: (c) => c.ts, maxOutOfOrderness: '5s' })
 *     .filter((c) => c.kind === 'view')
 *     .keyBy((c) => c.page, { key: string() })
 *     .window(tumbling('10s'), { grace: '2s' })
 *     .count()
 *     .to('page-views', { value: json() });
 */
export class StreamsApp {
  private readonly builder: Builder;
  private readonly runtimeOptions: RuntimeOptions;
  private runtime: StreamsRuntime | undefined;

  constructor(options: StreamsAppOptions) {
    this.builder = new Builder(resolveOptions(options));
    this.runtimeOptions = options;
  }

  get applicationId(): string {
    return this.builder.options.applicationId;
  }

  /** The records of a topic, as a stream. */
  stream<K = Buffer, V = Buffer>(topic: string, options?: StreamOptions<K, V>): Stream<K, V> {
    const b = this.builder;
    const o = b.options;
    const name = b.name(options?.name, topic);
    const keySerde = (options?.key ?? bytes()) as Serde<unknown>;
    const valueSerde = (options?.value ?? bytes()) as Serde<unknown>;
    const extractor = options?.timestamp ? erase<number>(options.timestamp) : undefined;
    const node = b.add({
      type: 'source',
      name,
      source: {
        topic,
        kind: 'stream',
        maxOutOfOrderness: toMillis(options?.maxOutOfOrderness ?? o.maxOutOfOrderness, 'maxOutOfOrderness'),
        idleTimeout: toMillis(options?.idleTimeout ?? o.idleTimeout, 'idleTimeout'),
      },
      make: () =>
        new SourceOperator(
          name,
          new TopicCodec(keySerde, KEY_FORMAT_HEADER, false),
          new TopicCodec(valueSerde, VALUE_FORMAT_HEADER, false),
          extractor,
          false,
        ),
      serdes: { key: keySerde, value: valueSerde },
      detail: `topics: [${topic}]`,
    });
    return new Stream<K, V>(b, { node, port: 'main' }, { keySerde, valueSerde, keyChanged: false, lineage: name });
  }

  /**
   * A topic read as a table: the latest value per key, null values delete. The topic is the
   * table store's changelog (nothing else is written), so it should be compacted.
   */
  table<K = Buffer, V = Buffer>(topic: string, options?: TableOptions<K, V>): Table<K, V> {
    const b = this.builder;
    const name = b.name(options?.name, `${topic}-table`);
    const keySerde = (options?.key ?? bytes()) as Serde<unknown>;
    const valueSerde = (options?.value ?? bytes()) as Serde<unknown>;
    const keyCodec = new TopicCodec(keySerde, KEY_FORMAT_HEADER, false);
    const valueCodec = new TopicCodec(valueSerde, VALUE_FORMAT_HEADER, false);
    const node = b.add({
      type: 'table-source',
      name,
      source: { topic, kind: 'table', maxOutOfOrderness: 0, idleTimeout: b.options.idleTimeout },
      stores: [{ name, logged: false, changelogTopic: topic }],
      make: () => new TableSourceOperator(name, name, keySerde, keyCodec, valueCodec),
      getter: (r) => (k) => (r.operatorOf(node) as TableSourceOperator).get(k),
      read: function* (store) {
        for (const e of store(name).all()) yield [keySerde.deserialize(e.key), valueSerde.deserialize(e.value)] as const;
      },
      lookup: keyValueLookup(name, serdeKeyBytes(keySerde), (v) => valueSerde.deserialize(v)),
      serdes: { key: keySerde, value: valueSerde },
      detail: `topics: [${topic}]`,
    });
    return new Table<K, V>(b, { node, port: 'main' }, { keySerde, valueSerde, keyChanged: false, lineage: name, windowed: false });
  }

  /** The topology built so far: sub-topologies, topics, stores; what a runtime runs. */
  topology(): Topology {
    return new Topology(this.builder.graph, this.builder.options);
  }

  /** The topology as text (like Kafka Streams' Topology#describe()). */
  describe(): string {
    return this.topology().describe();
  }

  /**
   * Starts processing on the log (the app's `log` option or `options.log`) and resolves once the
   * application runs: internal topics created, zombies fenced, stores restored, inputs assigned
   * at the committed offsets. It then runs until close(). A fatal error (a fenced producer, a
   * ProcessingError under deadLetter: 'fail') stops it; close() then rejects with that error, and
   * `onError` is called.
   */
  async start(options?: RuntimeOptions): Promise<void> {
    await this.launch(options, 'closed');
  }

  /**
   * Runs the application and resolves with a summary when it is done. `until: 'end'` (a bounded
   * run, for backfills, reprocessing and tests): reads every input topic up to its end as of the
   * start, then ends the input (every window is emitted, every join buffer expires), commits and
   * stops. `until: 'closed'`: runs until close() is called. Stream and batch, one API.
   */
  async run(options: RuntimeOptions & { readonly until: 'end' | 'closed' }): Promise<RunSummary> {
    const rt = await this.launch(options, options.until);
    return rt.finishedPromise;
  }

  /** Commits what was processed and stops; resolves with the run's summary (rejects with the error that stopped it, if any). */
  async close(): Promise<RunSummary | undefined> {
    const rt = this.runtime;
    if (!rt) return undefined;
    return rt.close();
  }

  /** @internal The runtime of the current or last run (metrics, the dashboard, interactive queries). */
  get activeRuntime(): StreamsRuntime | undefined {
    return this.runtime;
  }

  /** The running tasks (empty before start). */
  get tasks(): readonly import('./task.js').Task[] {
    return this.runtime?.tasks ?? [];
  }

  private async launch(options: RuntimeOptions | undefined, until: 'end' | 'closed'): Promise<StreamsRuntime> {
    if (this.runtime && !this.runtime.isFinished) throw new TopologyError(`application '${this.applicationId}' is already running`);
    const rt = new StreamsRuntime(this.topology(), resolveRuntimeOptions(this.runtimeOptions, options), until);
    this.runtime = rt;
    await rt.start();
    return rt;
  }
}
