import type { ChangelogRecord } from '../state/changelog.js';
import type { KeyValueStore, KeyValueStoreFactory } from '../state/kv-store.js';
import type { RecordHeader } from '../records/record.js';
import { partitionForKey } from '../records/partitioner.js';
import type { StreamsApp } from './app.js';
import { KEY_FORMAT_HEADER, TopicCodec, VALUE_FORMAT_HEADER } from './codec.js';
import { toMillis, type Duration } from './duration.js';
import { TopologyError } from './errors.js';
import { PoisonRecords, RollbackRequiredError } from './poison.js';
import type { InputRecord, OutputRecord } from './records.js';
import type { Serde } from './serdes.js';
import { Sink } from './sink.js';
import { Stream } from './stream.js';
import { Table } from './table.js';
import type { Task, TaskMetrics } from './task.js';
import type { PartitionPlan, Topology } from './topology.js';
import { recordStampSkip, withoutStamp } from './stamped-value.js';
import { readMarker } from './watermarks.js';

export interface TestDriverOptions {
  /** Partition counts by topic: sources, outputs, and overrides for repartition topics. Default 1. */
  readonly partitions?: Readonly<Record<string, number>>;
  /** Wall-clock time at start, ms (default 0). The driver's clock only moves when told to. */
  readonly wallClock?: number;
  /** Largest batch handed to a task at once (default: everything available). */
  readonly maxBatchSize?: number;
  /** Restores every task's stores from another driver's changelogs (and its tables' topics). */
  readonly restoreFrom?: DriverSnapshot;
  /** The stores of each task (as RuntimeOptions.stateStore's function form); default in memory. */
  readonly stateStore?: (taskId: string) => KeyValueStoreFactory;
}

/** A record read from a topic of the driver. */
export interface TestRecord<K, V> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: K | null;
  readonly value: V | null;
  readonly headers: readonly RecordHeader[];
}

/** A record to pipe in; key and value in the input topic's types. */
export interface TestInput<K, V> {
  readonly key?: K | null;
  readonly value: V | null;
  /** Default: the driver's wall clock. */
  readonly timestamp?: number;
  readonly headers?: readonly RecordHeader[];
  /** Default: Kafka's partitioner on the key bytes (round-robin for null keys). */
  readonly partition?: number;
}

/** What a driver wrote to changelog topics and read from topics: enough to restore its tasks elsewhere. */
export interface DriverSnapshot {
  readonly topics: ReadonlyMap<string, ReadonlyArray<readonly StoredRecord[]>>;
}

type StoredRecord = InputRecord;

/** What the driver's last commit left: topic lengths and task metrics, to roll back to (poison.ts). */
interface Commit {
  readonly lengths: ReadonlyMap<string, readonly number[]>;
  readonly metrics: readonly (readonly TaskMetrics[])[];
}

/**
 * Runs a topology in the test's own call stack: no threads, no timers, no sleeps. Records
 * piped into an input topic are processed before pipe() returns — through repartition topics
 * too, which the driver routes in memory to the downstream sub-topology's tasks (one task per
 * partition). Event time moves with the records, wall-clock time only with advanceWallClock().
 * Each topic is kept as a log (partition -> records), readable with output().
 *
 * Each pipe(), advanceWallClock() and drain() is a commit. When user code throws while holding
 * cached state (poison.ts), the driver rolls back as the runtime does: what the call wrote is
 * removed from the topics, the tasks are made again from the changelogs, and the call runs again,
 * the record going straight to the dead-letter topic. Task objects taken before are then stale.
 *
 * With mapAsync in the topology, results arrive asynchronously: `await driver.settle()`.
 */
export class TopologyTestDriver {
  readonly topology: Topology;
  private readonly plan: PartitionPlan;
  private readonly tasks: Task[][] = [];
  private readonly readers = new Map<string, number[]>();
  private readonly logs = new Map<string, StoredRecord[][]>();
  private readonly readOffsets = new Map<string, number[]>();
  private readonly queue: StoredRecord[] = [];
  private readonly roundRobin = new Map<string, number>();
  private now: number;
  private draining = false;
  private readonly maxBatch: number;
  private readonly options: TestDriverOptions;
  private readonly poison = new PoisonRecords();
  private lastCommit: Commit;

  constructor(app: StreamsApp | Topology, options: TestDriverOptions = {}) {
    this.topology = 'topology' in app && typeof app.topology === 'function' ? app.topology() : (app as Topology);
    const parts = options.partitions ?? {};
    const internal = new Set(this.topology.repartitionTopics);
    this.plan = this.topology.resolvePartitions((t) => parts[t] ?? (internal.has(t) ? undefined : 1));
    this.now = options.wallClock ?? 0;
    this.maxBatch = options.maxBatchSize ?? Infinity;
    this.options = options;
    for (const s of this.topology.subtopologies) {
      const list: Task[] = [];
      for (let p = 0; p < this.plan.tasks[s.id]!; p++) {
        const task = this.createTask(s.id, p);
        if (options.restoreFrom) restoreTask(task, options.restoreFrom);
        list.push(task);
      }
      this.tasks.push(list);
      for (const src of s.sources) {
        const r = this.readers.get(src.spec.topic) ?? [];
        if (!r.includes(s.id)) r.push(s.id);
        this.readers.set(src.spec.topic, r);
      }
    }
    this.lastCommit = this.commitPoint();
  }

  /** The input side of a source topic; with a Stream or Table of the app, typed and with its serdes. */
  input<K, V>(source: Stream<K, V> | Table<K, V>): TestInputTopic<K, V>;
  input<K = Buffer, V = Buffer>(topic: string, serdes?: { key?: Serde<K>; value?: Serde<V> }): TestInputTopic<K, V>;
  input<K, V>(source: string | Stream<K, V> | Table<K, V>, serdes?: { key?: Serde<K>; value?: Serde<V> }): TestInputTopic<K, V> {
    let topic: string;
    let known: { key: Serde<unknown>; value: Serde<unknown> } | undefined;
    if (typeof source === 'string') {
      topic = source;
      known = this.topology.subtopologies.flatMap((s) => s.sources).find((x) => x.spec.topic === topic)?.node.init.serdes;
    } else {
      const node = source.upstream.node;
      if (!node.init.source || node.init.source.kind === 'repartition') {
        throw new TopologyError('input(): pass the stream or table returned by app.stream()/app.table()');
      }
      topic = node.init.source.topic;
      known = node.init.serdes;
    }
    const key = (serdes?.key as Serde<unknown> | undefined) ?? known?.key;
    const value = (serdes?.value as Serde<unknown> | undefined) ?? known?.value;
    return new TestInputTopic<K, V>(this, topic, key, value);
  }

  /** The output side of a topic (what the app wrote to it), decoded with the sink's serdes unless given. */
  output<K, V>(sink: Sink<K, V>): TestOutputTopic<K, V>;
  output<K = unknown, V = unknown>(topic: string, serdes?: { key?: Serde<K>; value?: Serde<V> }): TestOutputTopic<K, V>;
  output<K, V>(sink: string | Sink<K, V>, serdes?: { key?: Serde<K>; value?: Serde<V> }): TestOutputTopic<K, V> {
    const topic = sink instanceof Sink ? sink.topic : sink;
    const key = serdes?.key ?? (sink instanceof Sink ? sink.keySerde : undefined);
    const value = serdes?.value ?? (sink instanceof Sink ? sink.valueSerde : undefined);
    // A repartition topic's values carry the writer's stamp first (stamped-value.ts): read without it.
    const stamped = this.topology.subtopologies.some((st) => st.sources.some((x) => x.spec.topic === topic && x.spec.kind === 'repartition'));
    return new TestOutputTopic<K, V>(this, topic, key as Serde<unknown> | undefined, value as Serde<unknown> | undefined, stamped);
  }

  /** The dead-letter topic's records (original key/value bytes, error and source in headers). */
  deadLetters(): TestRecord<Buffer, Buffer>[] {
    const t = this.topology.deadLetterTopic;
    if (!t) return [];
    return this.output<Buffer, Buffer>(t, { key: bufferSerde, value: bufferSerde }).readAll();
  }

  /** Moves the wall clock forward: idle partitions, wall-clock window closing, processing-time timers. */
  advanceWallClock(by: Duration): void {
    this.now += toMillis(by);
    this.atomically(() => {
      for (const list of this.tasks) {
        for (const t of list) t.advanceWallClock(this.now);
        this.drainQueue();
      }
    });
  }

  get wallClock(): number {
    return this.now;
  }

  /**
   * End of a bounded input: every source partition's watermark goes to +∞, so every open window
   * closes and is emitted (sub-topology by sub-topology, following the watermark markers).
   */
  drain(): void {
    this.atomically(() => {
      for (const list of this.tasks) {
        for (const t of list) t.endOfInput();
        this.drainQueue();
      }
    });
  }

  /** Waits for asynchronous operators (mapAsync) and routes what they produced. */
  async settle(): Promise<void> {
    for (;;) {
      this.drainQueue();
      const pending = this.tasks.flat().filter((t) => t.pendingAsync > 0);
      if (pending.length === 0 && this.queue.length === 0) {
        for (const t of this.tasks.flat()) await t.settle();
        return;
      }
      await Promise.all(pending.map((t) => t.settle()));
    }
  }

  /** The current contents of a table (its store, across all tasks); only tables with a store or a getter-backed store. */
  tableEntries<K, V>(table: Table<K, V>): Array<[K, V]> {
    const node = table.upstream.node;
    if (!node.init.read) throw new TopologyError(`'${node.name}' has no store to read; read the table it derives from`);
    const sub = this.topology.subtopologies.find((s) => s.nodes.includes(node))!;
    const out: Array<[K, V]> = [];
    for (const t of this.tasks[sub.id]!) {
      for (const [k, v] of node.init.read((name) => t.store(name)!, t.watermark)) out.push([k as K, v as V]);
    }
    return out;
  }

  /** A store of each task that has it, by partition (raw bytes). */
  stateStores(name: string): KeyValueStore[] {
    return this.tasks.flat().flatMap((t) => {
      const s = t.store(name);
      return s ? [s] : [];
    });
  }

  /** Task of a sub-topology and partition. */
  task(subtopology: number, partition: number): Task {
    const t = this.tasks[subtopology]?.[partition];
    if (!t) throw new Error(`no task ${subtopology}_${partition}`);
    return t;
  }

  get allTasks(): readonly Task[] {
    return this.tasks.flat();
  }

  /** Sums of the tasks' metrics. */
  metrics(): TaskMetrics {
    const m: TaskMetrics = { recordsIn: 0, recordsOut: 0, lateRecords: 0, deadLettered: 0 };
    for (const t of this.tasks.flat()) {
      m.recordsIn += t.metrics.recordsIn;
      m.recordsOut += t.metrics.recordsOut;
      m.lateRecords += t.metrics.lateRecords;
      m.deadLettered += t.metrics.deadLettered;
    }
    return m;
  }

  /** Every topic's log (inputs, outputs, repartition, changelog, dead-letter), to restore another driver. */
  snapshot(): DriverSnapshot {
    return { topics: new Map([...this.logs].map(([t, ps]) => [t, ps.map((p) => [...p])])) };
  }

  close(): void {
    for (const t of this.tasks.flat()) t.close();
  }

  // --------------------------------------------------------------------------------------------

  /** @internal */
  partitionsFor(topic: string): number {
    return this.plan.partitions.get(topic) ?? 1;
  }

  /** @internal Appends input records and processes them. */
  pipe(topic: string, records: ReadonlyArray<Omit<InputRecord, 'offset' | 'topic'>>): void {
    this.atomically(() => {
      for (const r of records) this.append(topic, r.partition, r.key, r.value, r.timestamp, r.headers, true);
      this.drainQueue();
    });
  }

  /** @internal */
  nextRoundRobin(topic: string): number {
    const n = this.roundRobin.get(topic) ?? 0;
    this.roundRobin.set(topic, n + 1);
    return n;
  }

  /** @internal */
  readNew(topic: string): StoredRecord[] {
    const log = this.logs.get(topic);
    if (!log) return [];
    const offs = this.readOffsets.get(topic) ?? [];
    const out: StoredRecord[] = [];
    log.forEach((p, i) => {
      out.push(...p.slice(offs[i] ?? 0));
      offs[i] = p.length;
    });
    this.readOffsets.set(topic, offs);
    return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  }

  /** @internal */
  peekAll(topic: string): StoredRecord[] {
    return (this.logs.get(topic) ?? []).flat();
  }

  /** @internal */
  get wall(): number {
    return this.now;
  }

  private createTask(subtopology: number, partition: number): Task {
    const holder: { task?: Task } = {};
    const task = this.topology.createTask(subtopology, partition, this.plan, {
      now: this.now,
      ...(this.options.stateStore ? { storeFactory: this.options.stateStore(`${subtopology}_${partition}`) } : {}),
      partitionsFor: (t) => this.partitionsFor(t),
      collector: { send: (r) => this.write(r) },
      changelog: {
        append: (e) => {
          const topic = holder.task!.stores.find((x) => x.name === e.store)!.changelogTopic;
          this.append(topic, partition, e.key, e.value, 0, []);
        },
      },
      poison: this.poison,
    });
    holder.task = task;
    return task;
  }

  /**
   * Runs a call that ends in a commit. When user code threw holding cached state, rolls back to
   * the last commit and runs it again, the record known (poison.ts).
   */
  private atomically(call: () => void): void {
    for (;;) {
      try {
        call();
        this.lastCommit = this.commitPoint();
        return;
      } catch (e) {
        if (!(e instanceof RollbackRequiredError)) throw e;
        // Known already: the replay did not recognise it, and would fail the same way forever.
        if (this.poison.has(e.id)) throw new Error(`record ${JSON.stringify(e.id)} failed again after a rollback`, { cause: e });
        this.poison.add(e.id, e.error, e.at);
        this.rollback();
      }
    }
  }

  private commitPoint(): Commit {
    return {
      lengths: new Map([...this.logs].map(([t, ps]) => [t, ps.map((p) => p.length)])),
      metrics: this.tasks.map((list) => list.map((t) => ({ ...t.metrics }))),
    };
  }

  /** Back to the last commit: what was written since is removed, every task made again from the changelogs. */
  private rollback(): void {
    const c = this.lastCommit;
    this.queue.length = 0;
    for (const [topic, parts] of this.logs) {
      const lengths = c.lengths.get(topic);
      parts.forEach((p, i) => (p.length = lengths?.[i] ?? 0));
    }
    const at = this.snapshot();
    this.tasks.forEach((list, s) =>
      list.forEach((old, p) => {
        old.close();
        const task = this.createTask(s, p);
        // Stores given by `stateStore` (on disk) may hold what the failed call wrote: emptied first.
        for (const st of task.stores) {
          const wipe: ChangelogRecord[] = [];
          for (const e of task.storeFor(st.name).all()) wipe.push({ key: Buffer.from(e.key), value: null });
          if (wipe.length > 0) task.restore(st.name, wipe);
        }
        if (this.options.restoreFrom) restoreTask(task, this.options.restoreFrom);
        restoreTask(task, at);
        Object.assign(task.metrics, c.metrics[s]![p]);
        list[p] = task;
      }),
    );
  }

  private write(r: OutputRecord): void {
    this.append(r.topic, r.partition, r.key, r.value, r.timestamp, r.headers, true);
  }

  private append(
    topic: string,
    partition: number,
    key: Buffer | null,
    value: Buffer | null,
    timestamp: number,
    headers: readonly RecordHeader[],
    deliver = false,
  ): void {
    let log = this.logs.get(topic);
    if (!log) this.logs.set(topic, (log = []));
    while (log.length <= partition) log.push([]);
    const p = log[partition]!;
    const rec: StoredRecord = { topic, partition, offset: p.length, timestamp, key, value, headers };
    p.push(rec);
    if (deliver && this.readers.has(topic)) this.queue.push(rec);
  }

  /**
   * Delivers queued records until nothing is left: everything queued so far, grouped by topic
   * partition (in order of first appearance, offset order within), one batch per partition (or
   * several of maxBatchSize). What the tasks write meanwhile is queued for the next round.
   */
  private drainQueue(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const round = this.queue.splice(0, this.queue.length);
        const groups = new Map<string, StoredRecord[]>();
        for (const r of round) {
          const id = `${r.partition}:${r.topic}`;
          let g = groups.get(id);
          if (!g) groups.set(id, (g = []));
          g.push(r);
        }
        for (const g of groups.values()) {
          const { topic, partition } = g[0]!;
          for (let i = 0; i < g.length; i += this.maxBatch) {
            const batch = this.maxBatch === Infinity ? g : g.slice(i, i + this.maxBatch);
            for (const sub of this.readers.get(topic)!) {
              const task = this.tasks[sub]![partition];
              if (task && task.inputTopics.includes(topic)) task.process(batch);
            }
          }
        }
      }
      // A commit, as far as state goes: operators' cached state reaches the stores and changelogs.
      for (const list of this.tasks) for (const t of list) t.flushState();
    } finally {
      this.draining = false;
    }
  }
}

function restoreTask(task: Task, snap: DriverSnapshot): void {
  for (const s of task.stores) {
    const log = snap.topics.get(s.changelogTopic)?.[task.partition] ?? [];
    const records: ChangelogRecord[] = [];
    for (const r of log) if (r.key) records.push({ key: r.key, value: r.value });
    task.restore(s.name, records);
  }
}

const bufferSerde: Serde<Buffer> = { serialize: (b) => b, deserialize: (b) => b };

/** Pipes records into a source topic, encoding them with the topic's serdes. */
export class TestInputTopic<K, V> {
  private readonly keyCodec: TopicCodec;
  private readonly valueCodec: TopicCodec;

  /** @internal */
  constructor(
    private readonly driver: TopologyTestDriver,
    readonly topic: string,
    keySerde: Serde<unknown> | undefined,
    valueSerde: Serde<unknown> | undefined,
  ) {
    this.keyCodec = new TopicCodec(keySerde, KEY_FORMAT_HEADER, false);
    this.valueCodec = new TopicCodec(valueSerde, VALUE_FORMAT_HEADER, false);
  }

  /** One record. */
  pipe(record: TestInput<K, V>): void {
    this.pipeAll([record]);
  }

  /** Shorthand: a value with a key and timestamp. */
  pipeValue(key: K | null, value: V | null, timestamp?: number): void {
    this.pipeAll([{ key, value, ...(timestamp === undefined ? {} : { timestamp }) }]);
  }

  /** Records appended to the topic together; each partition's share reaches its task as one batch. */
  pipeAll(records: ReadonlyArray<TestInput<K, V>>): void {
    const n = this.driver.partitionsFor(this.topic);
    this.driver.pipe(
      this.topic,
      records.map((r) => {
        const headers: RecordHeader[] = [...(r.headers ?? [])];
        const key = this.keyCodec.encode(r.key ?? null, headers);
        const value = this.valueCodec.encode(r.value, headers);
        const partition = r.partition ?? (key ? partitionForKey(key, n) : this.driver.nextRoundRobin(this.topic) % n);
        if (partition < 0 || partition >= n) throw new RangeError(`partition ${partition} of a ${n}-partition topic`);
        return { partition, key, value, headers, timestamp: r.timestamp ?? this.driver.wallClock };
      }),
    );
  }
}

/** Reads what the application wrote to a topic; each read returns the records not read before. */
export class TestOutputTopic<K, V> {
  private readonly keyCodec: TopicCodec;
  private readonly valueCodec: TopicCodec;

  /** @internal */
  constructor(
    private readonly driver: TopologyTestDriver,
    readonly topic: string,
    keySerde: Serde<unknown> | undefined,
    valueSerde: Serde<unknown> | undefined,
    private readonly stamped = false,
  ) {
    this.keyCodec = new TopicCodec(keySerde, KEY_FORMAT_HEADER, false);
    this.valueCodec = new TopicCodec(valueSerde, VALUE_FORMAT_HEADER, false);
  }

  /** The records written since the last read (by partition, then offset). */
  readRecords(): TestRecord<K, V>[] {
    return this.driver.readNew(this.topic).filter((r) => !readMarker(r.headers)).map((r) => this.decode(r));
  }

  readKeyValues(): Array<[K | null, V | null]> {
    return this.readRecords().map((r) => [r.key, r.value]);
  }

  readValues(): Array<V | null> {
    return this.readRecords().map((r) => r.value);
  }

  /** Every record of the topic, read or not. */
  readAll(): TestRecord<K, V>[] {
    return this.driver.peekAll(this.topic).filter((r) => !readMarker(r.headers)).map((r) => this.decode(r));
  }

  get isEmpty(): boolean {
    return this.driver.peekAll(this.topic).length === 0;
  }

  private decode(r: InputRecord): TestRecord<K, V> {
    let value = r.value;
    if (this.stamped && value !== null) value = withoutStamp(value, recordStampSkip(r.headers, value, 0, value.length));
    return {
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      timestamp: r.timestamp,
      key: this.keyCodec.decode(r.key, r.headers) as K | null,
      value: this.valueCodec.decode(value, r.headers) as V | null,
      headers: r.headers,
    };
  }
}
