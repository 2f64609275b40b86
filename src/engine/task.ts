import type { ChangelogCollector, ChangelogRecord } from '../state/changelog.js';
import type { KeyValueStore, KeyValueStoreFactory } from '../state/kv-store.js';
import { InMemoryKeyValueStore } from '../state/memory-store.js';
import { LoggedKeyValueStore } from '../state/logged-store.js';
import type { RecordHeader } from '../records/record.js';
import { partitionForKey } from '../records/partitioner.js';
import { encodeAuto, encodeState, decodeState } from './codec.js';
import { LateRecordError, ProcessingError, errorMessage } from './errors.js';
import type { Operator, OperatorContext } from './operators/operator.js';
import type { SourceOperator } from './operators/source.js';
import { InputBatch } from './input-batch.js';
import { RollbackRequiredError, type PoisonRecords } from './poison.js';
import { ExchangedRecord, type InputRecord, type OutputRecord, type Rec, type RecordCollector } from './records.js';
import { readStamp, recordStampSkip, withoutStamp } from './stamped-value.js';
import { PartitionClock, decodeDouble, markerHeaders, readMarker, STAMP_HEADER, type ClockState } from './watermarks.js';
import { headerValue } from './codec.js';

/** What the runtime (or the test driver) gives a task. */
export interface TaskEnvironment {
  /** Receives outputs, repartition records, watermark markers and dead letters. */
  readonly collector: RecordCollector;
  /** Receives every write to the task's logged stores. */
  readonly changelog: ChangelogCollector;
  /** Partition count of any topic the task writes to. */
  partitionsFor(topic: string): number;
  /** Defaults to in-memory stores. */
  readonly storeFactory?: KeyValueStoreFactory;
  /** Wall-clock time at creation (ms); the engine never reads the clock itself. */
  readonly now?: number;
  /**
   * Given by a driver that can roll the task back (poison.ts): it catches RollbackRequiredError,
   * adds the record to this set, drops the task and replays from its last commit with a new one.
   * Without it, a record on which user code threw while holding cached state is dead-lettered and
   * what that code changed in place stays.
   */
  readonly poison?: PoisonRecords;
}

/** A store of the task and the topic its changelog goes to (partition = the task's partition). */
export interface TaskStore {
  readonly name: string;
  readonly changelogTopic: string;
  /** False when the changelog is a source topic (a table read from its topic): nothing is appended. */
  readonly logged: boolean;
}

export interface TaskMetrics {
  recordsIn: number;
  recordsOut: number;
  lateRecords: number;
  deadLettered: number;
}

/** Everything the topology knows about the task to build; made by Topology.createTask. */
export interface TaskPlan {
  readonly applicationId: string;
  readonly subtopology: number;
  readonly partition: number;
  /** Number of tasks of this sub-topology: the writers of each repartition topic it writes. */
  readonly taskCount: number;
  readonly operators: Operator[];
  readonly sources: ReadonlyMap<string, readonly SourceOperator[]>;
  readonly clocks: readonly PartitionClockPlan[];
  readonly stores: readonly TaskStore[];
  /** Repartition topics this task writes, which get its watermark markers. */
  readonly markerTopics: readonly string[];
  readonly deadLetter: string | 'fail';
  readonly closeIdleWindowsAfter: number;
  readonly watermarkStore: string;
}

export interface PartitionClockPlan {
  readonly topic: string;
  readonly kind: 'stream' | 'table' | 'repartition';
  readonly maxOutOfOrderness: number;
  readonly idleTimeout: number;
}

/**
 * One task: the operators of one sub-topology for one partition, with their stores and
 * watermarks. The runtime drives it:
 *
 *   restore(store, records)*      before anything else, from each logged store's changelog
 *   process(batch)                 records of the task's input partitions, in offset order per partition
 *   await settle()                 if `pendingAsync > 0`: wait for mapAsync calls before committing
 *   advanceWallClock(now)          periodically: idleness, processing-time timers
 *   endOfInput()                   bounded inputs: the watermark goes to +∞, every window is emitted
 *   close()
 *
 * Everything the task produces goes to the environment's collector (outputs, repartition records,
 * watermark markers, dead letters) and changelog collector, synchronously, during these calls. A
 * commit covers what was collected since the previous commit plus the offsets of the processed
 * input; the task keeps no other state, so after a crash a task restored from its changelogs and
 * fed from the committed offsets produces exactly the same records.
 */
export class Task {
  readonly id: string;
  readonly subtopology: number;
  readonly partition: number;
  readonly metrics: TaskMetrics = { recordsIn: 0, recordsOut: 0, lateRecords: 0, deadLettered: 0 };

  private readonly plan: TaskPlan;
  private readonly ops: Operator[];
  private readonly clocks = new Map<string, PartitionClock>();
  private readonly storeMap = new Map<string, KeyValueStore>();
  private readonly ctx: TaskContext;
  private opened = false;
  private closed = false;

  // Event time: W is the task's watermark; firedW is the watermark every operator has seen.
  // While an advance is in progress, operators with index < passIndex have seen passTarget.
  /** @internal */ W = -Infinity;
  /** @internal */ firedW = -Infinity;
  /** @internal */ passIndex = 0;
  /** @internal */ passTarget = -Infinity;
  private nextEventTime = Infinity;
  private nextProcessingTime = Infinity;
  /** @internal */ now: number;
  private lastInputWall: number;
  private wmAtLastInput = -Infinity;
  private lastMarker: { watermark: number; idle: boolean } | undefined;

  // Asynchronous work (mapAsync): watermarks, markers and commits wait for it.
  /** @internal */ pending = 0;
  private asyncError: unknown;
  private waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private roundRobin = 0;
  private lastTopic: string | undefined;
  private lastClock: PartitionClock | undefined;
  private lastSources: readonly SourceOperator[] | undefined;
  /** The input after whose record advance() last ran in the current call (see advanceAfterInput). */
  private steadyClock: PartitionClock | undefined;
  /** The watermark last written to the watermark store (undefined: none written or restored yet). */
  private persistedW: number | undefined;
  /** @internal Records after which advance() was skipped as a no-op (tests check the shortcut is taken). */
  skippedAdvances = 0;
  /** Whether every input is a table (then tables drive the watermark); fixed by the plan. */
  private readonly onlyTables: boolean;

  constructor(plan: TaskPlan, private readonly env: TaskEnvironment) {
    this.plan = plan;
    this.subtopology = plan.subtopology;
    this.partition = plan.partition;
    this.id = `${plan.subtopology}_${plan.partition}`;
    this.ops = plan.operators;
    this.now = env.now ?? 0;
    this.lastInputWall = this.now;
    for (const c of plan.clocks) {
      this.clocks.set(c.topic, new PartitionClock(c.topic, c.kind, c.maxOutOfOrderness, c.idleTimeout, this.now));
    }
    const factory = env.storeFactory ?? ((name: string) => new InMemoryKeyValueStore(name));
    for (const s of [...plan.stores, { name: plan.watermarkStore, logged: true, changelogTopic: '' }]) {
      const inner = factory(s.name);
      this.storeMap.set(s.name, s.logged ? new LoggedKeyValueStore(inner, env.changelog) : inner);
    }
    this.onlyTables = plan.clocks.every((c) => c.kind === 'table');
    this.ctx = new TaskContext(this);
    this.ops.forEach((op, i) => {
      op.index = i;
      op.attach(this.ctx);
    });
  }

  /** The task's stores and their changelog topics (including the task's watermark store). */
  get stores(): TaskStore[] {
    return [
      ...this.plan.stores,
      {
        name: this.plan.watermarkStore,
        logged: true,
        changelogTopic: `${this.plan.applicationId}-${this.plan.watermarkStore}-changelog`,
      },
    ];
  }

  /** The task's operators in topological order (metrics read their counters). */
  get operators(): readonly Operator[] {
    return this.ops;
  }

  /** Per input topic: the watermark of the task's partition of it, and whether that input is idle (metrics). */
  inputWatermarks(): Array<{ topic: string; kind: 'stream' | 'table' | 'repartition'; watermark: number; idle: boolean }> {
    return [...this.clocks.values()].map((c) => ({ topic: c.topic, kind: c.kind, watermark: c.watermark(), idle: c.isIdle(this.now) }));
  }

  /** Input topics; the task reads partition `partition` of each. */
  get inputTopics(): string[] {
    return [...this.clocks.keys()];
  }

  /** The task's event-time watermark (−∞ before any input). */
  get watermark(): number {
    return this.firedW;
  }

  /** mapAsync calls in flight; commit only once this is 0 (await settle()). */
  get pendingAsync(): number {
    return this.pending;
  }

  /** Rebuilds a store from its changelog (or, for a source table, its topic) before the task starts. */
  restore(store: string, records: Iterable<ChangelogRecord>): void {
    if (this.opened) throw new Error(`task ${this.id}: restore() must come before the first record`);
    const s = this.storeMap.get(store);
    if (!s) throw new Error(`task ${this.id} has no store '${store}'`);
    s.restore(records);
  }

  /**
   * Processes a batch of input records (any of the task's input partitions, each in offset
   * order), or the columns of one partition's fetch (what the runtime hands over: no object per record).
   */
  process(batch: readonly InputRecord[] | InputBatch): void {
    this.open();
    this.steadyClock = undefined;
    if (batch instanceof InputBatch) this.processColumns(batch);
    else for (let i = 0; i < batch.length; i++) this.processOne(batch[i]!);
    this.afterCall();
  }

  /** Moves the wall clock: idle inputs, wall-clock window closing, processing-time timers. */
  advanceWallClock(now: number): void {
    this.open();
    if (now < this.now) return;
    this.now = now;
    if (this.nextProcessingTime <= now) {
      this.nextProcessingTime = Infinity;
      for (const op of this.ops) if (op.nextProcessingTime() <= now) op.onProcessingTime(now);
      this.recomputeNextProcessingTime();
    }
    this.advance();
    this.afterCall();
  }

  /**
   * The task's inputs have ended (a bounded run): source partitions' watermarks go to +∞, so every
   * window closes and is emitted; repartition inputs follow when their writers' markers say +∞.
   */
  endOfInput(topics?: readonly string[]): void {
    this.open();
    for (const c of this.clocks.values()) {
      if (c.kind === 'repartition') continue;
      if (!topics || topics.includes(c.topic)) c.end();
    }
    this.advance();
    this.afterCall();
  }

  /** Resolves when no asynchronous call is in flight (and their outputs are collected). */
  settle(): Promise<void> {
    if (this.asyncError !== undefined) return Promise.reject(this.asyncError);
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Writes operators' cached state to the stores and makes store writes durable; call before committing. */
  async flush(): Promise<void> {
    this.flushState();
    for (const s of this.storeMap.values()) await s.flush();
  }

  /** Writes operators' cached state (changed since the last flush) to their stores and changelogs. */
  flushState(): void {
    if (!this.opened || this.closed) return;
    for (const op of this.ops) op.flushState();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const op of this.ops) op.close();
    for (const s of this.storeMap.values()) s.close();
  }

  /**
   * @internal Test driver and typed store access. Operators' cached state is written to the
   * stores first, so the store reflects every record processed (as a commit would see it).
   */
  store(name: string): KeyValueStore | undefined {
    this.flushState();
    return this.storeMap.get(name);
  }

  // ------------------------------------------------------------------------------------------

  private open(): void {
    if (this.closed) throw new Error(`task ${this.id} is closed`);
    if (this.opened) return;
    this.opened = true;
    const wmStore = this.storeMap.get(this.plan.watermarkStore)!;
    for (const e of wmStore.all()) {
      const k = e.key.toString('utf8');
      if (k === '') {
        const s = decodeState<{ W: number }>(e.value);
        this.W = this.firedW = s.W;
        this.persistedW = s.W;
      } else {
        this.clocks.get(k)?.restore(decodeState<ClockState>(e.value));
      }
    }
    for (const op of this.ops) op.open();
    this.recomputeNextEventTime();
    this.recomputeNextProcessingTime();
  }

  private processColumns(batch: InputBatch): void {
    const { clock, sources } = this.inputOf(batch.topic);
    const repartition = clock.kind === 'repartition';
    for (let i = batch.from; i < batch.to; i++) {
      let stamp = NaN;
      let skip = 0;
      if (repartition) {
        if (batch.hasHeaders(i)) {
          const headers = batch.headers(i);
          const marker = readMarker(headers);
          if (marker) {
            clock.onMarker(marker);
            this.steadyClock = undefined;
            this.advance();
            continue;
          }
          // Written by an earlier version: the stamp in a header, the value as it is.
          const s = headerValue(headers, STAMP_HEADER);
          if (s) stamp = decodeDouble(s);
        }
        this.noteInput(clock);
        if (stamp !== stamp) {
          skip = batch.valueSkip(i);
          stamp = skip !== 0 ? batch.stampOf(i) : clock.watermark();
        }
      } else {
        this.noteInput(clock);
        stamp = clock.watermark();
      }
      let eventTime = NaN;
      for (let j = 0; j < sources.length; j++) eventTime = sources[j]!.ingestAt(batch, i, stamp, skip);
      const moved = eventTime === eventTime && !repartition && clock.observe(eventTime);
      this.advanceAfterInput(clock, moved);
    }
  }

  /** The clock and sources of an input topic (looked up only when the topic changes between records). */
  private inputOf(topic: string): { clock: PartitionClock; sources: readonly SourceOperator[] } {
    if (topic !== this.lastTopic) {
      const c = this.clocks.get(topic);
      const srcs = this.plan.sources.get(topic);
      if (!c || !srcs) throw new Error(`task ${this.id} does not read topic '${topic}'`);
      this.lastTopic = topic;
      this.lastClock = c;
      this.lastSources = srcs;
    }
    return { clock: this.lastClock!, sources: this.lastSources! };
  }

  private noteInput(clock: PartitionClock): void {
    this.metrics.recordsIn++;
    clock.lastActivity = this.now;
    this.lastInputWall = this.now;
  }

  /**
   * After a record: advance() unless it could change nothing. Within one call the wall clock
   * stands still, so once advance() ran after a record of this same input (which made the
   * input active at this wall-clock time), another record of it that did not move the input's
   * watermark leaves every input of the watermark computation as it was: W stays, and with no
   * timer due at W and no pass under way the pass would do nothing. Skipped then.
   */
  private advanceAfterInput(clock: PartitionClock, moved: boolean): void {
    if (!moved && clock === this.steadyClock && this.passIndex === 0 && (this.nextEventTime > this.W || this.nextEventTime === Infinity)) {
      this.skippedAdvances++;
      return;
    }
    this.advance();
    this.steadyClock = clock;
    this.wmAtLastInput = this.W;
  }

  private processOne(input: InputRecord): void {
    // Batches come one input partition at a time: look the topic up only when it changes.
    const { clock, sources } = this.inputOf(input.topic);
    const repartition = clock.kind === 'repartition';
    let stamp: number;
    if (repartition) {
      const marker = readMarker(input.headers);
      if (marker) {
        clock.onMarker(marker);
        this.steadyClock = undefined;
        this.advance();
        return;
      }
      this.noteInput(clock);
      // In a header: a record kept in this process (ExchangedRecord, which makes its value's bytes
      // only when asked), or written by an earlier version.
      const s = headerValue(input.headers, STAMP_HEADER);
      const v = s || input instanceof ExchangedRecord ? null : input.value;
      const skip = v === null ? 0 : recordStampSkip(input.headers, v, 0, v.length);
      if (s) stamp = decodeDouble(s);
      else if (skip !== 0) {
        stamp = readStamp(v!, 0);
        // The record as it was sent, for the sources and a dead letter.
        input = { ...input, value: withoutStamp(v!, skip) };
      } else stamp = clock.watermark();
    } else {
      this.noteInput(clock);
      stamp = clock.watermark();
    }
    let eventTime = NaN;
    for (const src of sources) eventTime = src.ingest(input, stamp);
    const moved = eventTime === eventTime && !repartition && clock.observe(eventTime);
    this.advanceAfterInput(clock, moved);
  }

  /** Recomputes the task watermark and lets operators see it (in topological order). */
  private advance(): void {
    let min = Infinity;
    let max = -Infinity;
    let any = false;
    const onlyTables = this.onlyTables;
    for (const c of this.clocks.values()) {
      if (c.kind === 'table' && !onlyTables) continue;
      const w = c.watermark();
      if (w > max) max = w;
      if (c.isIdle(this.now)) continue;
      any = true;
      if (w < min) min = w;
    }
    // Idle inputs do not hold the watermark back; if all are idle, it may go as far as the furthest.
    let candidate = any ? min : max;
    const quiet = this.now - this.lastInputWall;
    if (quiet >= this.plan.closeIdleWindowsAfter && this.wmAtLastInput > -Infinity) {
      candidate = Math.max(candidate, this.wmAtLastInput + quiet);
    }
    if (candidate > this.W) this.W = candidate;
    this.runPass();
  }

  /**
   * Brings every operator to the watermark W: operators with a timer due get onEventTime(W) one
   * after the other in topological order, so records a window emits reach the operators after
   * it before those see the new watermark (as in Flink, where the watermark follows the records).
   * Paused while asynchronous calls are in flight: their results must not arrive after the
   * watermark that would make them late.
   */
  private runPass(): void {
    for (;;) {
      if (this.pending > 0) return;
      if (this.passIndex === 0) {
        // Nothing due (a timer at +∞ never is): every operator is at W already.
        if (this.nextEventTime > this.W || this.nextEventTime === Infinity) {
          this.firedW = this.W;
          return;
        }
        this.passTarget = this.W;
      }
      while (this.passIndex < this.ops.length) {
        if (this.pending > 0) return;
        const op = this.ops[this.passIndex]!;
        this.passIndex++;
        if (op.nextEventTime() <= this.passTarget) op.onEventTime(this.passTarget);
      }
      this.passIndex = 0;
      this.firedW = this.passTarget;
      this.recomputeNextEventTime();
    }
  }

  private recomputeNextEventTime(): void {
    let t = Infinity;
    for (const op of this.ops) {
      const n = op.nextEventTime();
      if (n < t) t = n;
    }
    this.nextEventTime = t;
  }

  private recomputeNextProcessingTime(): void {
    let t = Infinity;
    for (const op of this.ops) {
      const n = op.nextProcessingTime();
      if (n < t) t = n;
    }
    this.nextProcessingTime = t;
  }

  /** @internal */ requestEventTime(t: number): void {
    if (t < this.nextEventTime) this.nextEventTime = t;
  }

  /** @internal */ requestProcessingTime(t: number): void {
    if (t < this.nextProcessingTime) this.nextProcessingTime = t;
  }

  private afterCall(): void {
    for (const op of this.ops) op.onBatchEnd();
    if (this.pending > 0 || this.passIndex !== 0) return;
    this.persistClocks();
    this.sendMarkers();
  }

  private persistClocks(): void {
    const store = this.storeMap.get(this.plan.watermarkStore)!;
    for (const c of this.clocks.values()) {
      if (!c.dirty) continue;
      c.dirty = false;
      store.put(Buffer.from(c.topic, 'utf8'), encodeState(c.state()));
    }
    // The task's own watermark: written when it moved since the last write (this runs after every
    // call; reading and decoding the stored value each time was a measurable share of a fast pipeline).
    const W = this.firedW;
    if (this.persistedW !== W) {
      store.put(Buffer.alloc(0), encodeState({ W }));
      this.persistedW = W;
    }
  }

  /** After each call, tells every partition of each repartition topic the task writes where its watermark is. */
  private sendMarkers(): void {
    if (this.plan.markerTopics.length === 0) return;
    const watermark = this.firedW;
    const idle = this.isIdle();
    if (this.lastMarker && this.lastMarker.watermark === watermark && this.lastMarker.idle === idle) return;
    if (!this.lastMarker && watermark === -Infinity && !idle) return;
    this.lastMarker = { watermark, idle };
    const headers = markerHeaders(watermark, this.partition, this.plan.taskCount, idle);
    const ts = Number.isFinite(watermark) ? watermark : 0;
    for (const topic of this.plan.markerTopics) {
      const n = this.env.partitionsFor(topic);
      for (let p = 0; p < n; p++) {
        this.env.collector.send({ topic, partition: p, timestamp: ts, key: null, value: null, headers });
      }
    }
  }

  private isIdle(): boolean {
    let contributing = 0;
    for (const c of this.clocks.values()) {
      if (c.kind === 'table') continue;
      contributing++;
      if (!c.isIdle(this.now)) return false;
    }
    return contributing > 0;
  }

  // --- called by TaskContext --------------------------------------------------------------------

  /** @internal */ send(r: OutputRecord): void {
    this.metrics.recordsOut++;
    this.env.collector.send(r);
  }

  /** @internal */ partitionsFor(topic: string): number {
    return this.env.partitionsFor(topic);
  }

  /** @internal */ handsOver(topic: string): boolean {
    return this.env.collector.handsOver?.(topic) === true;
  }

  /** @internal */ deadLetter(rec: Rec, error: unknown, operator: string): void {
    // A rollback from further down (a processor's forward reached an aggregation) is not this
    // operator's error: it ends the call as it is.
    if (error instanceof RollbackRequiredError) throw error;
    const dlq = this.plan.deadLetter;
    if (dlq === 'fail') throw new ProcessingError(operator, rec.origin, error);
    const o = rec.origin;
    const headers: RecordHeader[] = [...(o ? o.headers : rec.headers)];
    const h = (key: string, value: string) => headers.push({ key, value: Buffer.from(value, 'utf8') });
    h('tributary.error.message', errorMessage(error));
    h('tributary.error.stack', error instanceof Error && error.stack ? error.stack : String(error));
    h('tributary.error.operator', operator);
    let key: Buffer | null;
    let value: Buffer | null;
    if (o) {
      h('tributary.source.topic', o.topic);
      h('tributary.source.partition', String(o.partition));
      h('tributary.source.offset', String(o.offset));
      key = o.key;
      value = o.value;
    } else {
      key = rec.key === null || rec.key === undefined ? null : encodeAuto(rec.key, false).bytes;
      value = rec.value === null || rec.value === undefined ? null : encodeAuto(rec.value, false).bytes;
    }
    const n = this.env.partitionsFor(dlq);
    const partition = key ? partitionForKey(key, n) : this.roundRobin++ % n;
    this.metrics.deadLettered++;
    this.env.collector.send({ topic: dlq, partition, timestamp: o ? o.timestamp : rec.timestamp, key, value, headers });
  }

  /** @internal User code threw holding cached state (poison.ts). */
  stateFailed(rec: Rec, error: unknown, operator: string, keyId: string): void {
    const poison = this.env.poison;
    if (this.plan.deadLetter === 'fail' || poison === undefined || error instanceof RollbackRequiredError) {
      this.deadLetter(rec, error, operator);
      return;
    }
    throw new RollbackRequiredError(this.id, operator, poison.idOf(operator, rec, keyId), error, poison.positionOf(rec));
  }

  /** @internal The records to skip on a replay, or undefined when there are none. */
  get poison(): PoisonRecords | undefined {
    const p = this.env.poison;
    return p !== undefined && p.size > 0 ? p : undefined;
  }

  /**
   * @internal Late records are counted; without a late() consumer they go to the dead-letter
   * topic. Under the 'fail' policy they are only counted: lateness is a property of the data's
   * timing, not an error worth stopping the application for.
   */
  late(rec: Rec, operator: string, hasSideOutput: boolean): void {
    this.metrics.lateRecords++;
    if (!hasSideOutput && this.plan.deadLetter !== 'fail') {
      this.deadLetter(rec, LateRecordError.instance, operator);
    }
  }

  /** @internal */ asyncStarted(): void {
    this.pending++;
  }

  /** @internal */ asyncEnded(): void {
    this.pending--;
    if (this.pending > 0) return;
    try {
      this.runPass();
      this.afterCall();
    } catch (e) {
      this.asyncFailed(e);
    }
    if (this.pending === 0) {
      const ws = this.waiters;
      this.waiters = [];
      for (const w of ws) {
        if (this.asyncError !== undefined) w.reject(this.asyncError);
        else w.resolve();
      }
    }
  }

  /** @internal */ asyncFailed(e: unknown): void {
    if (this.asyncError === undefined) this.asyncError = e;
  }

  /** @internal */ storeFor(name: string): KeyValueStore {
    const s = this.storeMap.get(name);
    if (!s) throw new Error(`task ${this.id} has no store '${name}'`);
    return s;
  }

  /** @internal */ get applicationId(): string {
    return this.plan.applicationId;
  }
}

/** The OperatorContext of a task: a narrow view, so operators cannot reach the runtime's API. */
class TaskContext implements OperatorContext {
  constructor(private readonly task: Task) {}
  get applicationId(): string {
    return this.task.applicationId;
  }
  get taskId(): string {
    return this.task.id;
  }
  get partition(): number {
    return this.task.partition;
  }
  get wallClock(): number {
    return this.task.now;
  }
  watermarkFor(op: Operator): number {
    return op.index < this.task.passIndex ? this.task.passTarget : this.task.firedW;
  }
  generatedStamp(): number {
    return this.task.firedW;
  }
  store(name: string): KeyValueStore {
    return this.task.storeFor(name);
  }
  requestEventTime(t: number): void {
    this.task.requestEventTime(t);
  }
  requestProcessingTime(t: number): void {
    this.task.requestProcessingTime(t);
  }
  deadLetter(rec: Rec, error: unknown, operator: string): void {
    this.task.deadLetter(rec, error, operator);
  }
  stateFailed(rec: Rec, error: unknown, operator: string, keyId: string): void {
    this.task.stateFailed(rec, error, operator, keyId);
  }
  get poison(): PoisonRecords | undefined {
    return this.task.poison;
  }
  late(rec: Rec, operator: string, hasSideOutput: boolean): void {
    this.task.late(rec, operator, hasSideOutput);
  }
  send(topic: string, partition: number, timestamp: number, key: Buffer | null, value: Buffer | null, headers: readonly RecordHeader[]): void {
    this.task.send({ topic, partition, timestamp, key, value, headers });
  }
  partitionsFor(topic: string): number {
    return this.task.partitionsFor(topic);
  }
  handsOver(topic: string): boolean {
    return this.task.handsOver(topic);
  }
  sendRecord(record: OutputRecord): void {
    this.task.send(record);
  }
  asyncStarted(): void {
    this.task.asyncStarted();
  }
  asyncEnded(): void {
    this.task.asyncEnded();
  }
  asyncFailed(error: unknown): void {
    this.task.asyncFailed(error);
  }
}
