import {
  GroupMembershipLostError,
  ProducerFencedError,
  tpKey,
  type GroupMembership,
  type Log,
  type LogConsumer,
  type LogProducer,
  type NewTopic,
  type PartitionOffset,
  type TopicPartition,
  type FetchedPartition,
} from '../../connectors/index.js';
import { applyChangelogBatch } from '../../state/changelog.js';
import { TopologyError } from '../errors.js';
import { PoisonRecords, RollbackRequiredError } from '../poison.js';
import type { Task, TaskMetrics, TaskStore } from '../task.js';
import type { PartitionPlan, Topology } from '../topology.js';
import { ChangelogBuffer, OutputCollector } from './collectors.js';
import { changelogBatch } from './changelog-batch.js';
import { decodeFetchedBatch } from './decode.js';
import { FlushAheadProducer } from './flush-ahead.js';
import { LocalExchange, isMarker } from './local-exchange.js';
import type { InputRecord } from '../records.js';
import type { ResolvedRuntimeOptions } from './options.js';
import { StandbyTasks, type StandbyHandover } from './standby.js';
import { openTaskState, taskStateDir, type TaskState } from '../../state/local-checkpoint.js';
import { InMemoryKeyValueStore } from '../../state/memory-store.js';
import { RuntimeStats } from '../metrics/runtime-stats.js';

/** What a finished run (or a closed application) reports. */
export interface RunSummary {
  /** Records read per input topic (sources and repartition topics; watermark markers not counted). */
  readonly recordsIn: Record<string, number>;
  /** Records written per topic (outputs, repartition topics, dead-letter topic; no changelogs, no markers). */
  readonly recordsOut: Record<string, number>;
  readonly lateRecords: number;
  readonly deadLettered: number;
  readonly commits: number;
  readonly durationMs: number;
  /** Changelog (and source-table) records read to restore the stores at start, and how long that took. */
  readonly restoredRecords: number;
  readonly restoreMs: number;
}

/** An input partition's progress, for metrics (see StreamsRuntime.inputProgress). */
export interface InputProgress {
  readonly topic: string;
  readonly partition: number;
  readonly kind: 'stream' | 'table' | 'repartition';
  /** Offset after the last record processed. */
  readonly processed: number;
  /** Offset last committed (-1: none yet). */
  readonly committed: number;
  /** End offset (read_committed). */
  readonly end: number;
  readonly recordsIn: number;
}

/** An input partition of the process: the tasks that read it and how far they got. */
/** Repartition topics roll segments at 50 MiB (as Kafka Streams), so purging after commits frees disk. */
const REPARTITION_SEGMENT_BYTES = 50 * 1024 * 1024;
/**
 * Restore's fetch sizes: large, because a restore reads whole changelogs as fast as it can and
 * every Fetch costs a round trip (bigger than the consumer defaults, which suit processing).
 */
const RESTORE_PARTITION_BYTES = 8 * 1024 * 1024;
const RESTORE_FETCH_BYTES = 32 * 1024 * 1024;

interface Input {
  readonly tp: TopicPartition;
  readonly key: string;
  readonly tasks: Task[];
  readonly kind: 'stream' | 'table' | 'repartition';
  /** Offset after the last record processed (what the next commit stores). */
  processed: number;
  /** Offset last committed. */
  committed: number;
  /** Repartition inputs: the offset the log was last asked to delete records below (purgeRepartitionTopics). */
  purged: number;
  /** Bounded runs: the end offset captured at start (sources only); Infinity otherwise. */
  stopAt: number;
  paused: boolean;
  count: { records: number };
}

interface TaskRunner {
  readonly task: Task;
  readonly changelog: ChangelogBuffer;
  /** On-disk state (stateStore 'lmdb'): the LMDB environment and the local checkpoint. */
  readonly state: TaskState | undefined;
  readonly stores: readonly TaskStore[];
  /** Stores handed over by a standby (in memory): the first changelog offset each does not reflect. */
  readonly restoreFrom?: ReadonlyMap<string, number>;
}

/** Records handed to a task at once; between chunks a commit that is due happens. */
const CHUNK = 2_000;
/** Entries in changelog buffers before they are sent early (giving up some deduplication). */
const MAX_CHANGELOG_PENDING = 200_000;

/**
 * Runs a topology's tasks on a Log, all in this process. The task set is decided in one place
 * (prepare(): every task of every sub-topology) and everything after it works per task (runners,
 * their input partitions, restore, commit), so that scale-out can give this process the subset a
 * consumer group assigns it, and on a rebalance commit and close the tasks it loses and restore
 * the ones it gains:
 *
 *   start:   connect; create internal topics (repartition: delete; changelogs: compact; outputs,
 *            dead letters); register the transactional producer (fences zombies, aborts what
 *            they left open); restore every logged store from its changelog, read_committed, to
 *            the end; assign the input partitions at the committed offsets.
 *   loop:    fetch (waits without polling) -> decode once per partition -> task.process(batch)
 *            for every task reading it; outputs and changelog writes go to the one producer;
 *            every commitIntervalMs: settle mapAsync, flush stores, drain changelogs, commit
 *            outputs + changelogs + input offsets in one transaction (exactly-once) or append
 *            then commit offsets (at-least-once); every wallClockIntervalMs: advanceWallClock.
 *            Backpressure: when the producer holds maxBufferedBytes, it is flushed ahead (the
 *            loop waits only for the previous such flush); a task with maxPendingAsync calls in
 *            flight is settled before the next fetch.
 *   bounded: the source partitions' end offsets are captured at start; once every source is
 *            read to there, tasks get endOfInput(); the run ends when every task's watermark is
 *            +∞ and the repartition topics are read to their ends; then a last commit.
 *   close:   a last commit, checkpoints, producer and log closed.
 */
export class StreamsRuntime {
  private log!: Log;
  private producer!: FlushAheadProducer;
  private consumer!: LogConsumer;
  private plan!: PartitionPlan;
  private readonly runners = new Map<string, TaskRunner>();
  private readonly inputs = new Map<string, Input>();
  private inputList: Input[] = [];
  private readonly collector: OutputCollector;
  /** Repartition records exchanged in memory (options.localRepartition); undefined: through the log. */
  private exchange: LocalExchange | undefined;
  private readonly groupId: string;
  private readonly bounded: boolean;
  private stopping = false;
  private inputEnded = false;
  private commits = 0;
  private startedAt = 0;
  private loop: Promise<void> | null = null;
  /** The repartition purge under way (purgeRepartitionTopics), if any. */
  private purging: Promise<void> | undefined;
  private failure: unknown = undefined;
  private finished = false;
  private readonly done: Promise<RunSummary>;
  private resolveDone!: (s: RunSummary) => void;
  private rejectDone!: (e: unknown) => void;
  private restoredRecords = 0;
  private restoreMs = 0;
  private nextCommit = 0;
  private nextTick = 0;
  private dirty = false;
  /** Scale-out: this process's group membership. */
  private member: GroupMembership | undefined;
  /** Scale-out with numStandbyReplicas: the tasks of other processes whose state this one keeps warm. */
  private standbys: StandbyTasks | undefined;
  /** Scale-out: a commit was refused for a stale generation; the tasks' state is not committed state. */
  private lost = false;
  /** Plain counters for metrics, updated per batch and per commit (src/engine/metrics). */
  readonly stats = new RuntimeStats();
  /** Records to dead-letter on the replay after a rollback (poison.ts); emptied at each commit. */
  private poison = new PoisonRecords();
  /** Rollbacks to the last commit after user code threw holding cached state (poison.ts). */
  rollbacks = 0;
  /** Each task's counters at the last commit: a rollback's new task continues from them. */
  private committedMetrics = new Map<string, TaskMetrics>();

  constructor(
    readonly topology: Topology,
    private readonly options: ResolvedRuntimeOptions,
    until: 'end' | 'closed',
  ) {
    this.groupId = topology.applicationId; // Kafka Streams' choice: the application id is the group id
    this.bounded = until === 'end';
    this.collector = new OutputCollector(() => this.producer);
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.done.catch(() => {});
  }

  /** Resolves with the summary when the run ends (bounded: at the end of input; else at close()). */
  get finishedPromise(): Promise<RunSummary> {
    return this.done;
  }

  get exactlyOnce(): boolean {
    return this.options.processingGuarantee === 'exactly-once';
  }

  /** The running tasks (for tests and metrics). */
  get tasks(): Task[] {
    return [...this.runners.values()].map((r) => r.task);
  }

  private resolveStarted: () => void = () => {};
  /** @internal Resolves once start() is over (started, or failed: the run's promise says so). */
  readonly started: Promise<void> = new Promise((resolve) => (this.resolveStarted = resolve));

  async start(): Promise<void> {
    this.startedAt = Date.now();
    try {
      await this.starting();
    } finally {
      this.resolveStarted();
    }
  }

  private async starting(): Promise<void> {
    try {
      this.log = await this.options.log.connect();
    } catch (e) {
      this.failedToStart(e);
      throw e;
    }
    try {
      await this.prepare();
    } catch (e) {
      await this.producer?.close().catch(() => {});
      await this.standbys?.close().catch(() => {});
      for (const r of this.runners.values()) {
        r.task.close();
        await r.state?.close().catch(() => {});
      }
      await this.log.close().catch(() => {});
      this.failedToStart(e);
      throw e;
    }
    this.nextCommit = Date.now() + this.options.commitIntervalMs;
    this.nextTick = Date.now() + this.options.wallClockIntervalMs;
    this.loop = this.runLoop();
  }

  /**
   * A failed start ends the run: close() and finishedPromise reject with the start's error instead
   * of waiting for a loop that never ran, and the application may be started again.
   */
  private failedToStart(e: unknown): void {
    this.failure = e;
    this.finished = true;
    this.rejectDone(e);
  }

  /** Stops the loop, commits what was processed, closes. Resolves with the summary. */
  async close(): Promise<RunSummary> {
    this.stopping = true;
    this.consumer?.wakeup();
    if (this.loop) await this.loop;
    return this.done;
  }

  // -------------------------------------------------------------------------------------------
  // start

  private async prepare(): Promise<void> {
    const t = this.topology;
    const app = t.applicationId;
    const sources = t.sourceTopics;
    const all = [...new Set([...sources, ...t.repartitionTopics, ...t.outputTopics, ...t.changelogTopics, ...(t.deadLetterTopic ? [t.deadLetterTopic] : [])])];
    const known = await this.log.describeTopics(all);
    const missing = sources.filter((s) => !known.has(s));
    if (missing.length > 0) throw new TopologyError(`source topic(s) missing: ${missing.join(', ')} (create them before starting '${app}')`);
    this.plan = t.resolvePartitions((topic) => known.get(topic)?.partitions);

    if (this.options.localRepartition && t.repartitionTopics.length > 0) {
      const topics = new Map(t.repartitionTopics.map((topic) => [topic, this.plan.partitions.get(topic)!]));
      this.exchange = new LocalExchange(this.collector, topics, this.collector.counts, this.options.localRepartitionObjects);
    }
    // In-memory repartition queues number records afresh: their offsets do not name a record on a replay.
    if (this.exchange) this.poison = new PoisonRecords(new Set(t.repartitionTopics));
    // Tasks: all of them, or this thread's share (runThreads); scale-out drops those the group gives others.
    const ids: Array<[number, number]> = [];
    const thread = this.options.thread;
    for (const s of t.subtopologies) {
      for (let p = 0; p < this.plan.tasks[s.id]!; p++) if (thread === undefined || p % thread.count === thread.index) ids.push([s.id, p]);
    }
    for (const [s, p] of ids) await this.createRunner(s, p);

    // Internal and output topics.
    const create: NewTopic[] = [];
    for (const topic of t.repartitionTopics) {
      const n = this.plan.partitions.get(topic)!;
      if (!known.has(topic)) create.push({ name: topic, partitions: n, config: { 'cleanup.policy': 'delete', 'retention.ms': -1, 'segment.bytes': REPARTITION_SEGMENT_BYTES } });
    }
    const changelogs = new Map<string, number>();
    for (const r of this.runners.values()) {
      for (const s of r.stores) {
        if (!s.logged) continue;
        changelogs.set(s.changelogTopic, Math.max(changelogs.get(s.changelogTopic) ?? 0, this.plan.tasks[r.task.subtopology]!));
      }
    }
    for (const [topic, n] of changelogs) {
      const k = known.get(topic);
      if (!k) create.push({ name: topic, partitions: n, config: { 'cleanup.policy': 'compact' } });
      else if (k.partitions < n) throw new TopologyError(`changelog topic '${topic}' has ${k.partitions} partitions; the application needs ${n}`);
    }
    for (const topic of [...t.outputTopics, ...(t.deadLetterTopic ? [t.deadLetterTopic] : [])]) {
      if (!known.has(topic)) create.push({ name: topic, partitions: this.plan.partitions.get(topic) ?? 1 });
    }
    await this.log.createTopics(create);

    // The producer first: registering the transactional id aborts what a crashed or zombie
    // predecessor left open, so the changelogs' and inputs' last stable offsets can move.
    // Scale-out: a stopped process's open transaction blocks its partitions' new owner (their last
    // stable offset) until the coordinator aborts it: Kafka Streams' 10 s, not the default 60 s.
    this.producer = new FlushAheadProducer(
      this.exactlyOnce
        ? await this.log.producer({ transactionalId: `${app}-${this.options.instanceId}`, ...(this.options.scaleOut ? { transactionTimeoutMs: 10_000 } : {}) })
        : await this.log.producer(),
    );

    if (this.options.scaleOut) {
      if (!this.log.joinGroup) throw new TopologyError(`scaleOut needs a log with a group coordinator (kafka({ brokers })): the ${this.log.kind} log has none`);
      if (this.bounded) throw new TopologyError("bounded runs (until: 'end') do not scale out: run them in one process");
      const partitions = Math.max(...t.subtopologies.map((s) => this.plan.tasks[s.id]!));
      this.member = await this.log.joinGroup(this.groupId, {
        partitions,
        sessionTimeoutMs: this.options.sessionTimeoutMs,
        numStandbyReplicas: this.options.numStandbyReplicas,
        localState: () => this.localState(),
        ...(this.options.applicationServer !== undefined ? { endpoint: this.options.applicationServer } : {}),
      });
      const mine = new Set(this.member.partitions);
      for (const [id, r] of this.runners) {
        if (mine.has(r.task.partition)) continue;
        r.task.close();
        await r.state?.close();
        this.runners.delete(id);
      }
      if (this.options.numStandbyReplicas > 0) {
        this.standbys = new StandbyTasks(this.log, t, this.plan, this.options);
        await this.standbys.assign(this.member.standbyPartitions ?? []);
      }
    }

    await this.addInputs([...this.runners.values()]);
    if (this.bounded) {
      const srcs = this.inputList.filter((i) => i.kind !== 'repartition');
      const ends = await this.log.endOffsets(srcs.map((i) => i.tp), 'read_committed');
      srcs.forEach((input, i) => (input.stopAt = ends[i]!));
    }

    const r0 = Date.now();
    await this.restore([...this.runners.values()]);
    this.restoreMs = Date.now() - r0;
    this.stats.restoreDone = true;
    this.stats.restoreMs = this.restoreMs;
    this.stats.rebalances++;

    this.consumer = this.log.consumer({
      isolation: 'read_committed',
      maxBytesPerPartition: this.options.fetchMaxBytesPerPartition,
      maxBytes: this.options.fetchMaxBytes,
    });
    this.consumer.assign(this.inputList.map((i): PartitionOffset => ({ ...i.tp, offset: i.processed })));
    this.standbys?.resume();
    for (const i of this.inputList) {
      if (i.processed >= i.stopAt) {
        i.paused = true;
        this.consumer.pause([i.tp]);
      }
    }
  }

  /** The input partitions of `runners` (new ones at their committed offsets, earliest when none). */
  private async addInputs(runners: readonly TaskRunner[]): Promise<void> {
    const t = this.topology;
    const added: Input[] = [];
    for (const r of runners) {
      const s = t.subtopologies[r.task.subtopology]!;
      for (const topic of r.task.inputTopics) {
        const kind = s.sources.find((x) => x.spec.topic === topic)!.spec.kind;
        const key = tpKey(topic, r.task.partition);
        let input = this.inputs.get(key);
        if (!input) {
          input = {
            tp: { topic, partition: r.task.partition },
            key,
            tasks: [],
            kind,
            processed: 0,
            committed: -1,
            purged: -1,
            stopAt: Infinity,
            paused: false,
            count: { records: 0 },
          };
          this.inputs.set(key, input);
          added.push(input);
        }
        input.tasks.push(r.task);
      }
    }
    this.inputList = [...this.inputs.values()];
    const tps = added.map((i) => i.tp);
    if (tps.length === 0) return;
    const [committed, beginning] = await Promise.all([this.log.committedOffsets(this.groupId, tps), this.log.beginningOffsets(tps)]);
    added.forEach((input, i) => {
      input.committed = committed[i]!;
      input.processed = committed[i]! >= 0 ? committed[i]! : beginning[i]!;
    });
  }

  /**
   * Scale-out: the group moved on. Commit what was processed (or, if the group already fenced
   * this member out, abort it and drop every task: their state holds uncommitted updates), rejoin,
   * close the tasks of partitions no longer ours, create and restore the new ones, reassign.
   */
  private async rebalance(): Promise<void> {
    const member = this.member!;
    const t0 = Date.now();
    await this.commit();
    const lost = this.lost;
    await this.standbys?.pause();
    const before = member.generation;
    const next = new Set(await member.rejoin());
    // A task is kept only if no generation passed without us: one we missed (removed from the
    // group, or a SyncGroup refused) may have given its partition to another process that moved it
    // on — a kept task would process that process's records again from its old state and position.
    const after = member.generation;
    const missed = before.memberId === '' || after.memberId !== before.memberId || after.generationId !== before.generationId + 1;
    for (const [id, r] of this.runners) {
      if (!lost && !missed && next.has(r.task.partition)) continue;
      r.task.close();
      await r.state?.close();
      this.runners.delete(id);
    }
    for (const [key, input] of this.inputs) {
      const tasks = input.tasks.filter((task) => this.runners.get(task.id)?.task === task);
      if (tasks.length === 0) this.inputs.delete(key);
      else input.tasks.splice(0, input.tasks.length, ...tasks);
    }
    this.inputList = [...this.inputs.values()];
    // A standby of a task that is ours now becomes the task: its state is warm, the restore reads only the tail.
    const handovers = new Map<string, StandbyHandover | undefined>();
    if (this.standbys) for (const p of next) for (const [id, h] of await this.standbys.take(p)) handovers.set(id, h);
    const created: TaskRunner[] = [];
    for (const s of this.topology.subtopologies) {
      for (const p of [...next].sort((a, b) => a - b)) {
        if (p >= this.plan.tasks[s.id]! || this.runners.has(`${s.id}_${p}`)) continue;
        created.push(await this.createRunner(s.id, p, handovers.get(`${s.id}_${p}`)));
      }
    }
    await this.standbys?.assign((member.standbyPartitions ?? []).filter((p) => !next.has(p)));
    await this.addInputs(created);
    const restoredBefore = this.restoredRecords;
    const r0 = Date.now();
    await this.restore(created);
    const restoreMs = Date.now() - r0;
    this.consumer.assign(this.inputList.map((i): PartitionOffset => ({ ...i.tp, offset: i.processed })));
    this.standbys?.resume();
    this.lost = false;
    this.stats.rebalances++;
    this.options.onRebalance?.({
      generationId: member.generation.generationId,
      partitions: [...next].sort((a, b) => a - b),
      standbyPartitions: this.standbys?.partitions ?? [],
      durationMs: Date.now() - t0,
      restoreMs,
      restoredRecords: this.restoredRecords - restoredBefore,
    });
  }

  /**
   * What this process tells the group leader about its local state (GroupOptions.localState): its
   * active tasks' partitions as fully warm, its standbys' and on-disk tasks' changelog offset sums.
   */
  private localState(): Map<number, number> {
    const warm = this.standbys?.warmth() ?? new Map<number, number>();
    const active = new Set(this.member?.partitions ?? []);
    const onDisk = new Map<number, number>();
    for (const r of this.runners.values()) {
      const p = r.task.partition;
      if (active.has(p)) warm.set(p, Number.MAX_SAFE_INTEGER);
      else if (r.state && r.state.checkpointOffsets.size > 0) onDisk.set(p, (onDisk.get(p) ?? 0) + [...r.state.checkpointOffsets.values()].reduce((a, b) => a + b, 0));
    }
    for (const [p, n] of onDisk) if (!active.has(p)) warm.set(p, Math.max(warm.get(p) ?? 0, n));
    return warm;
  }

  private async createRunner(subtopology: number, partition: number, handover?: StandbyHandover): Promise<TaskRunner> {
    const holder: { changelog?: ChangelogBuffer } = {};
    const id = `${subtopology}_${partition}`;
    const storeOption = this.options.stateStore;
    let state: TaskState | undefined;
    let storeFactory;
    if (storeOption === 'lmdb') {
      state = await openTaskState(taskStateDir(this.options.stateDir, this.topology.applicationId, id), {
        eos: this.exactlyOnce,
        sync: this.options.stateSync,
        ...(this.options.stateCacheMaxBytes !== undefined ? { cacheMaxBytes: this.options.stateCacheMaxBytes } : {}),
      });
      storeFactory = state.factory;
    } else if (typeof storeOption === 'function') {
      storeFactory = storeOption(id);
    }
    if (handover) {
      const base = storeFactory;
      storeFactory = (name: string) => handover.stores.get(name) ?? (base ? base(name) : new InMemoryKeyValueStore(name));
    }
    const task = this.topology.createTask(subtopology, partition, this.plan, {
      now: Date.now(),
      partitionsFor: (topic) => this.plan.partitions.get(topic) ?? 1,
      collector: this.exchange ?? this.collector,
      poison: this.poison,
      changelog: { append: (e) => holder.changelog!.append(e) },
      ...(storeFactory ? { storeFactory } : {}),
    });
    if (task.id !== id) throw new Error(`task id ${task.id} is not ${id}`);
    const stores = task.stores;
    const topics = new Map<string, string>();
    for (const s of stores) if (s.logged) topics.set(s.name, s.changelogTopic);
    const changelog = new ChangelogBuffer(partition, topics);
    holder.changelog = changelog;
    const runner: TaskRunner = { task, changelog, state, stores, ...(handover ? { restoreFrom: handover.positions } : {}) };
    this.runners.set(task.id, runner);
    return runner;
  }

  /**
   * Restores every store of every task before anything is processed: logged stores from their
   * changelog (read_committed, to the end), a source table's store from its topic up to the
   * committed offset (past it, processing the topic updates the table). In-memory stores are
   * rebuilt from the start; an on-disk store whose local checkpoint is valid reads only the tail
   * after its checkpointed offset (see src/state/local-checkpoint.ts).
   */
  private async restore(runners: readonly TaskRunner[]): Promise<void> {
    interface Target {
      runner: TaskRunner;
      store: string;
      from: number;
      end: number;
    }
    const byTp = new Map<string, { tp: TopicPartition; start: number; end: number; targets: Target[] }>();
    if (runners.length === 0) return;
    const existing = await this.log.describeTopics([...new Set(runners.flatMap((r) => r.stores.map((s) => s.changelogTopic)))]);
    for (const r of runners) {
      for (const s of r.stores) {
        const topic = s.changelogTopic;
        const info = existing.get(topic);
        if (!info || r.task.partition >= info.partitions) continue;
        const key = tpKey(topic, r.task.partition);
        let end: number;
        if (!s.logged) {
          const input = this.inputs.get(key);
          end = input && input.committed >= 0 ? input.committed : 0;
        } else {
          end = -1; // filled below
        }
        let entry = byTp.get(key);
        if (!entry) byTp.set(key, (entry = { tp: { topic, partition: r.task.partition }, start: 0, end: 0, targets: [] }));
        entry.targets.push({ runner: r, store: s.name, from: r.restoreFrom?.get(s.name) ?? r.state?.checkpointOffsets.get(s.name) ?? 0, end });
      }
    }
    const entries = [...byTp.values()];
    if (entries.length === 0) return;
    const tps = entries.map((e) => e.tp);
    const starts = await this.log.beginningOffsets(tps);
    const ends = await this.stableEnds(tps);
    entries.forEach((e, i) => {
      for (const t of e.targets) {
        if (t.end < 0) t.end = ends[i]!;
        // A checkpoint below the log start (retention) cannot be trusted to line up: from the start.
        if (t.from < starts[i]!) t.from = starts[i]!;
      }
      e.start = Math.min(...e.targets.map((t) => t.from));
      e.end = Math.max(...e.targets.map((t) => t.end));
    });
    const todo = entries.filter((e) => e.end > e.start);
    this.stats.restoreTotal = todo.reduce((n, e) => n + (e.end - e.start), 0);
    if (todo.length === 0) return;
    // Every changelog partition in one consumer: each Fetch asks for all of them (one per leader).
    const consumer = this.log.consumer({ isolation: 'read_committed', maxBytesPerPartition: RESTORE_PARTITION_BYTES, maxBytes: RESTORE_FETCH_BYTES });
    consumer.assign(todo.map((e) => ({ ...e.tp, offset: e.start })));
    const remaining = new Map(todo.map((e) => [tpKey(e.tp.topic, e.tp.partition), e]));
    const counted = { records: 0 };
    let next: Promise<FetchedPartition[]> | undefined = consumer.fetch(1000);
    try {
      while (next) {
        const fetched = await next;
        const done: Array<(typeof todo)[number]> = [];
        for (const f of fetched) {
          const e = remaining.get(tpKey(f.topic, f.partition));
          if (e && f.nextOffset >= e.end) done.push(e);
        }
        for (const e of done) remaining.delete(tpKey(e.tp.topic, e.tp.partition));
        consumer.pause(done.map((e) => e.tp));
        // Pipelining: the next Fetch goes out (a turn of the event loop sends it) before these
        // batches are applied, so a remote log reads and sends while the stores write.
        next = remaining.size > 0 ? consumer.fetch(1000) : undefined;
        next?.catch(() => {}); // awaited on the next turn; not an unhandled rejection meanwhile
        if (next && fetched.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        for (const f of fetched) {
          const e = byTp.get(tpKey(f.topic, f.partition));
          if (!e) continue;
          for (const t of e.targets) {
            if (t.from >= f.nextOffset || t.end <= f.fetchOffset) continue;
            counted.records = 0;
            applyChangelogBatch(t.runner.task.storeFor(t.store), changelogBatch(f, t.from, t.end, counted));
            this.restoredRecords += counted.records;
          }
          this.stats.restored = this.restoredRecords;
        }
        if (fetched.length === 0 && next) {
          // Nothing more below the end offsets (compaction may leave the end beyond the last record).
          for (const [key, e] of remaining) if (consumer.position(e.tp) >= e.end || (await this.log.endOffsets([e.tp]))[0]! <= consumer.position(e.tp)) remaining.delete(key);
          if (remaining.size === 0) next = undefined;
        }
      }
    } finally {
      consumer.close();
    }
    // On-disk stores may still be writing restored records on another thread (lmdb-store.ts).
    for (const e of todo) for (const t of e.targets) await t.runner.task.storeFor(t.store).restoreSettled?.();
  }

  /**
   * The read_committed ends of changelog partitions once no transaction is pending on them. Kafka
   * writes a committed transaction's markers after EndTxn returns, so right after a task moved
   * the previous owner's last commit may not be readable yet (its input offsets already are, with
   * require_stable): restoring to that end would miss its updates. A changelog has one writer,
   * the task's owner, so waiting until the last stable offset reaches the high watermark (the
   * markers written, or a dead owner's transaction aborted by its timeout) gives the whole state.
   */
  private async stableEnds(tps: readonly TopicPartition[]): Promise<number[]> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [stable, high] = await Promise.all([this.log.endOffsets(tps, 'read_committed'), this.log.endOffsets(tps, 'read_uncommitted')]);
      if (stable.every((s, i) => s >= high[i]!) || Date.now() > deadline || this.stopping) return stable;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  // -------------------------------------------------------------------------------------------
  // the loop

  private async runLoop(): Promise<void> {
    try {
      for (;;) {
        try {
          await this.turns();
          break;
        } catch (e) {
          // User code threw holding cached state (poison.ts): back to the last commit, and on.
          if (!(e instanceof RollbackRequiredError)) throw e;
          await this.rollback(e);
        }
      }
      // Best effort: the outputs are committed; an error while waiting for their markers is not the run's.
      await this.awaitOutputsReadable().catch(() => {});
      await this.shutdown();
      this.finished = true;
      this.resolveDone(this.summary());
    } catch (e) {
      this.failure = e;
      await this.shutdown(true).catch(() => {});
      this.finished = true;
      this.rejectDone(e);
      this.options.onError?.(e);
    }
  }

  /** The loop's turns, until stopped (or a bounded run is done); then the last commit. */
  private async turns(): Promise<void> {
    while (!this.stopping) {
      if (this.standbys?.failure !== undefined) throw this.standbys.failure;
      if (this.member?.rebalanceNeeded) await this.rebalance();
      let now = Date.now();
      if (now >= this.nextTick) {
        for (const r of this.runners.values()) r.task.advanceWallClock(now);
        this.drainExchange();
        this.nextTick = now + this.options.wallClockIntervalMs;
      }
      if (this.bounded && (await this.checkEnd())) break;
      if (now >= this.nextCommit) {
        await this.commit();
        now = Date.now();
        this.nextCommit = now + this.options.commitIntervalMs;
      }
      const wait = Math.max(0, Math.min(this.nextCommit, this.nextTick) - Date.now());
      const fetched = await this.consumer.fetch(wait);
      for (let i = 0; i < fetched.length; i++) await this.route(fetched[i]!);
      if (!this.exactlyOnce && fetched.length > 0) await this.flushAtLeastOnce();
      await this.relieve();
    }
    await this.commit();
  }

  /**
   * Back to the last commit (poison.ts), as after a crash but in this process: the open
   * transaction aborted (at-least-once: what was sent stays, as after a crash), every task closed
   * and made again with its stores restored from the changelogs (on-disk stores drop what was not
   * flushed, see local-checkpoint.ts), queued in-memory repartition records dropped, and the inputs
   * read again from the committed offsets. The record that failed is known now: on the replay it
   * goes to the dead-letter topic without calling user code.
   */
  private async rollback(e: RollbackRequiredError): Promise<void> {
    // Known already: the replay did not recognise it and would fail the same way forever.
    if (this.poison.has(e.id)) throw new Error(`record ${JSON.stringify(e.id)} failed again after a rollback`, { cause: e });
    this.poison.add(e.id, e.error, e.at);
    this.rollbacks++;
    if (this.exactlyOnce) await this.producer.abortTransaction();
    else await this.producer.flush();
    this.consumer.close();
    const ids = [...this.runners.values()].map((r) => [r.task.subtopology, r.task.partition] as const);
    const stopAt = new Map([...this.inputs].map(([key, i]) => [key, i.stopAt]));
    for (const r of this.runners.values()) {
      r.task.close();
      await r.state?.close();
    }
    this.runners.clear();
    this.inputs.clear();
    this.inputList = [];
    this.exchange?.drain(() => {});
    for (const [s, p] of ids) {
      const r = await this.createRunner(s, p);
      const m = this.committedMetrics.get(r.task.id);
      if (m) Object.assign(r.task.metrics, m);
    }
    await this.addInputs([...this.runners.values()]);
    for (const [key, i] of this.inputs) i.stopAt = stopAt.get(key) ?? Infinity;
    await this.restore([...this.runners.values()]);
    this.consumer = this.log.consumer({
      isolation: 'read_committed',
      maxBytesPerPartition: this.options.fetchMaxBytesPerPartition,
      maxBytes: this.options.fetchMaxBytes,
    });
    this.consumer.assign(this.inputList.map((i): PartitionOffset => ({ ...i.tp, offset: i.processed })));
    for (const i of this.inputList) {
      if (i.processed >= i.stopAt) {
        i.paused = true;
        this.consumer.pause([i.tp]);
      }
    }
    // A bounded run ends its inputs again once they are read to their ends.
    this.inputEnded = false;
    this.dirty = false;
    this.nextCommit = Date.now() + this.options.commitIntervalMs;
  }

  /**
   * After the last commit (a bounded run's end, close()): waits until read_committed readers see
   * what this process committed to its output topics, so that a caller reading them once run()
   * or close() resolved reads the results. Kafka writes a transaction's markers after EndTxn
   * returns: until then the outputs' last stable offset is below the committed records (a reader
   * started at once missed a scale-out test's last windows). Bounded (30 s): another producer's
   * open transaction on a shared output partition holds its last stable offset back too.
   */
  private async awaitOutputsReadable(): Promise<void> {
    if (!this.exactlyOnce || !this.plan) return;
    const tps: TopicPartition[] = [];
    for (const [topic, c] of this.collector.counts) {
      if (c.records === 0 || !this.topology.outputTopics.includes(topic)) continue;
      const n = this.plan.partitions.get(topic) ?? 1;
      for (let partition = 0; partition < n; partition++) tps.push({ topic, partition });
    }
    if (tps.length === 0) return;
    const written = await this.log.endOffsets(tps, 'read_uncommitted');
    const deadline = Date.now() + 30_000;
    for (;;) {
      const stable = await this.log.endOffsets(tps, 'read_committed');
      if (stable.every((o, i) => o >= written[i]!) || Date.now() > deadline) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Backpressure: drain big changelog buffers, wait for busy mapAsync; a full producer is flushed
   * ahead (flush-ahead.ts), and the loop waits only when the previous flush is still under way: at
   * most about twice maxBufferedBytes held.
   */
  private async relieve(): Promise<void> {
    for (const r of this.runners.values()) {
      if (r.changelog.pending > MAX_CHANGELOG_PENDING) r.changelog.drainTo(this.producer, Date.now());
      if (r.task.pendingAsync > this.options.maxPendingAsync) await r.task.settle();
    }
    if (this.producer.bufferedBytes > this.options.maxBufferedBytes && !this.producer.flushAhead()) {
      await this.producer.settle();
      this.producer.flushAhead();
    }
  }

  /**
   * Decodes one fetched partition and hands the batch to every task reading it — in chunks of
   * CHUNK records, so that a commit that falls due while a big fetch is processed happens on time
   * (committing the offsets of what was processed so far).
   */
  private async route(f: FetchedPartition): Promise<void> {
    const input = this.inputs.get(tpKey(f.topic, f.partition));
    if (!input) return;
    const { batch: records, next, markers } = decodeFetchedBatch(f, input.kind === 'table', input.stopAt, input.kind === 'repartition');
    if (records.length > 0) {
      input.count.records += records.length - markers;
      const tasks = input.tasks;
      this.dirty = true;
      for (let from = 0; from < records.length; from += CHUNK) {
        const chunk = records.length <= CHUNK ? records : records.slice(from, Math.min(from + CHUNK, records.length));
        const t0 = performance.now();
        for (let i = 0; i < tasks.length; i++) tasks[i]!.process(chunk);
        this.drainExchange();
        this.stats.batch(chunk.length, performance.now() - t0, chunk.timestamp(chunk.to - 1), Date.now());
        if (from + CHUNK < records.length && Date.now() >= this.nextCommit) {
          input.processed = chunk.offset(chunk.to - 1) + 1;
          await this.relieve();
          await this.commit();
          this.nextCommit = Date.now() + this.options.commitIntervalMs;
        }
      }
    }
    if (next > input.processed) {
      input.processed = next;
      this.dirty = true;
    }
    if (input.processed >= input.stopAt && !input.paused) {
      input.paused = true;
      this.consumer.pause([input.tp]);
    }
  }

  /** Hands the repartition records queued in memory to the tasks reading them (local-exchange.ts). */
  private drainExchange(): void {
    this.exchange?.drain(this.deliverLocal);
  }

  private readonly deliverLocal = (topic: string, partition: number, records: InputRecord[]): void => {
    const input = this.inputs.get(tpKey(topic, partition));
    if (!input) throw new Error(`no task reads repartition partition ${topic}/${partition} in this process`);
    let data = 0;
    for (let i = 0; i < records.length; i++) if (!isMarker(records[i]!)) data++;
    input.count.records += data;
    this.dirty = true;
    const t0 = performance.now();
    for (let i = 0; i < input.tasks.length; i++) input.tasks[i]!.process(records);
    this.stats.batch(records.length, performance.now() - t0, records[records.length - 1]!.timestamp, Date.now());
  };

  /** At-least-once: outputs are appended (and durable) as soon as a fetch is processed. */
  private async flushAtLeastOnce(): Promise<void> {
    await this.producer.flush();
  }

  /** Bounded runs: ends the inputs once read to their end offsets; true when everything is done. */
  private async checkEnd(): Promise<boolean> {
    if (!this.inputEnded) {
      for (const i of this.inputList) if (i.kind !== 'repartition' && i.processed < i.stopAt) return false;
      for (const r of this.runners.values()) r.task.endOfInput();
      this.drainExchange();
      this.inputEnded = true;
      this.dirty = true;
      this.nextCommit = 0; // make the +∞ markers visible downstream now
      return false;
    }
    for (const r of this.runners.values()) {
      if (r.task.watermark !== Infinity || r.task.pendingAsync > 0) return false;
    }
    if (this.exchange && this.exchange.pending > 0) return false;
    const rep = this.inputList.filter((i) => i.kind === 'repartition');
    if (rep.length === 0) return true;
    // Everything upstream wrote must be committed and read.
    if (this.producer.inTransaction) {
      this.nextCommit = 0;
      return false;
    }
    const ends = await this.log.endOffsets(rep.map((i) => i.tp), 'read_committed');
    return rep.every((i, k) => i.processed >= ends[k]!);
  }

  /**
   * One commit of every task: mapAsync settled, stores flushed, changelog entries sent, then
   * outputs + changelogs + input offsets committed in one transaction (exactly-once), or
   * appended and then the offsets committed (at-least-once).
   */
  private async commit(): Promise<void> {
    const started = performance.now();
    const runners = [...this.runners.values()];
    for (const r of runners) if (r.task.pendingAsync > 0) await r.task.settle();
    // Every repartition record in memory is processed before the commit (what settling sent too).
    while (this.exchange && this.exchange.pending > 0) {
      this.drainExchange();
      for (const r of runners) if (r.task.pendingAsync > 0) await r.task.settle();
    }
    let changelogs = 0;
    for (const r of runners) {
      await r.task.flush();
      if (r.changelog.pending > 0) changelogs += r.changelog.drainTo(this.producer, Date.now());
    }
    const offsets: PartitionOffset[] = [];
    for (const i of this.inputList) if (i.processed > i.committed) offsets.push({ ...i.tp, offset: i.processed });
    if (offsets.length === 0 && changelogs === 0 && !this.producer.inTransaction && this.producer.bufferedBytes === 0 && !this.dirty) return;
    if (this.options.beforeCommit) await this.options.beforeCommit();
    if (this.lost) {
      // Fenced out of the group: nothing of this generation may become visible.
      if (this.exactlyOnce) await this.producer.abortTransaction();
      return;
    }
    try {
      if (this.exactlyOnce) {
        // Scale-out: every transaction carries the offsets of all our inputs, changed or not, so the
        // group checks our generation on every commit — a process the group moved on from cannot
        // commit even a transaction of watermark markers alone (wall clock: idle inputs).
        const fenced = this.member !== undefined ? this.inputList.map((i): PartitionOffset => ({ ...i.tp, offset: i.processed })) : offsets;
        if (fenced.length > 0) this.producer.sendOffsetsToTransaction(this.groupId, fenced, this.member?.generation);
        await this.producer.commitTransaction();
      } else {
        await this.producer.flush();
        if (offsets.length > 0) await this.log.commitOffsets(this.groupId, offsets, this.member?.generation);
      }
    } catch (e) {
      if (!(e instanceof GroupMembershipLostError) || this.member === undefined) throw e;
      // EOS-v2: the group has a newer generation; our partitions may be someone else's now.
      if (this.exactlyOnce) await this.producer.abortTransaction();
      this.lost = true;
      this.member.markLost();
      return;
    }
    for (const o of offsets) this.inputs.get(tpKey(o.topic, o.partition))!.committed = o.offset;
    this.dirty = false;
    this.commits++;
    this.poison.forgetCommitted((topic, partition) => this.inputs.get(tpKey(topic, partition))?.committed ?? -1);
    this.committedMetrics = new Map(runners.map((r) => [r.task.id, { ...r.task.metrics }]));
    await this.checkpointStores();
    this.purgeRepartitionTopics();
    this.stats.commitLatency.record(performance.now() - started);
  }

  /**
   * Repartition records below the committed offsets are never read again: the log may delete them
   * (whole segments, embedded). In the background, as Kafka Streams does it: awaited, a DeleteRecords
   * round trip after every commit held up the loop. While one purge is under way none is started;
   * the next commit's purge covers what this one skipped (it asks up to each partition's committed
   * offset).
   */
  private purgeRepartitionTopics(): void {
    const deleteRecords = this.log.deleteRecords;
    if (!deleteRecords || this.purging) return;
    const purge: PartitionOffset[] = [];
    for (const i of this.inputList) {
      if (i.kind !== 'repartition' || i.committed <= i.purged) continue;
      purge.push({ ...i.tp, offset: i.committed });
    }
    if (purge.length === 0) return;
    this.purging = deleteRecords
      .call(this.log, purge)
      .then(
        () => {
          for (const o of purge) {
            const i = this.inputs.get(tpKey(o.topic, o.partition));
            if (i && o.offset > i.purged) i.purged = o.offset;
          }
        },
        // Best effort: the records stay until a later purge (or the topic's retention) takes them.
        () => {},
      )
      .finally(() => {
        this.purging = undefined;
      });
  }

  /**
   * On-disk stores: after a successful commit, records per store the changelog offset the local
   * state reflects (the changelog's end: this process is its only writer), or for a source
   * table's store the committed offset of its topic.
   */
  private async checkpointStores(): Promise<void> {
    const runners = [...this.runners.values()].filter((r) => r.state !== undefined);
    if (runners.length === 0) return;
    const tps: TopicPartition[] = [];
    for (const r of runners) for (const s of r.stores) if (s.logged) tps.push({ topic: s.changelogTopic, partition: r.task.partition });
    const ends = tps.length > 0 ? await this.log.endOffsets(tps, 'read_committed') : [];
    let i = 0;
    for (const r of runners) {
      const offsets = new Map<string, number>();
      for (const s of r.stores) {
        if (s.logged) offsets.set(s.name, ends[i++]!);
        else {
          const input = this.inputs.get(tpKey(s.changelogTopic, r.task.partition));
          if (input && input.committed >= 0) offsets.set(s.name, input.committed);
        }
      }
      await r.state!.checkpoint(offsets);
    }
  }

  private async shutdown(failed = false): Promise<void> {
    this.consumer?.close();
    await this.purging;
    await this.standbys?.close();
    await this.member?.leave();
    if (this.producer) {
      if (failed && this.exactlyOnce && !(this.failure instanceof ProducerFencedError)) await this.producer.abortTransaction().catch(() => {});
      await this.producer.close().catch(() => {});
    }
    for (const r of this.runners.values()) {
      r.task.close();
      await r.state?.close();
    }
    await this.log.close();
  }

  /**
   * Per input partition: how far the application processed and committed, and the partition's
   * end (read_committed) — consumer lag is end − processed. One endOffsets call; for metrics.
   */
  async inputProgress(): Promise<InputProgress[]> {
    const inputs = this.inputList;
    if (inputs.length === 0 || this.finished) return [];
    const ends = await this.log.endOffsets(inputs.map((i) => i.tp), 'read_committed');
    return inputs.map((i, k) => ({
      topic: i.tp.topic,
      partition: i.tp.partition,
      kind: i.kind,
      processed: i.processed,
      committed: i.committed,
      end: ends[k]!,
      recordsIn: i.count.records,
    }));
  }

  /** Records written per output topic so far (watermark markers not counted). */
  get recordsOutByTopic(): ReadonlyMap<string, { readonly records: number }> {
    return this.collector.counts;
  }

  get commitCount(): number {
    return this.commits;
  }

  /** Tasks per sub-topology over all processes (the partition plan; empty before start). */
  get taskCounts(): readonly number[] {
    return this.plan?.tasks ?? [];
  }

  /** When start() was called (ms since the epoch; 0 before). */
  get startedAtMs(): number {
    return this.startedAt;
  }

  private summary(): RunSummary {
    const recordsIn: Record<string, number> = {};
    for (const i of this.inputList) recordsIn[i.tp.topic] = (recordsIn[i.tp.topic] ?? 0) + i.count.records;
    const recordsOut: Record<string, number> = {};
    for (const [topic, c] of this.collector.counts) recordsOut[topic] = c.records;
    let lateRecords = 0;
    let deadLettered = 0;
    for (const r of this.runners.values()) {
      lateRecords += r.task.metrics.lateRecords;
      deadLettered += r.task.metrics.deadLettered;
    }
    return {
      recordsIn,
      recordsOut,
      lateRecords,
      deadLettered,
      commits: this.commits,
      durationMs: Date.now() - this.startedAt,
      restoredRecords: this.restoredRecords,
      restoreMs: this.restoreMs,
    };
  }

  /**
   * Interactive queries in scale-out: this process's endpoint (applicationServer) and the endpoint
   * of each task partition's owner as of the last rebalance (every sub-topology's partition p runs
   * in one process). Undefined when this process runs every task (no scale-out).
   */
  get queryEndpoints(): { readonly self: string | undefined; readonly owners: ReadonlyMap<number, string> } | undefined {
    const m = this.member;
    if (!m) return undefined;
    return { self: this.options.applicationServer, owners: m.endpoints ?? new Map() };
  }

  /**
   * Scale-out with standbys: the changelog records committed and not yet applied by this process's
   * standby tasks (0 when caught up or when it has none), and which partitions they are.
   */
  async standbyLag(): Promise<{ readonly partitions: readonly number[]; readonly lag: number }> {
    const s = this.standbys;
    if (!s || this.finished) return { partitions: [], lag: 0 };
    return { partitions: s.partitions, lag: await s.lag() };
  }

  /** @internal */
  get isFinished(): boolean {
    return this.finished;
  }

  /** @internal */
  get error(): unknown {
    return this.failure;
  }
}
