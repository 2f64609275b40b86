import { tpKey, type Log, type LogConsumer, type TopicPartition } from '../../connectors/index.js';
import { applyChangelogBatch } from '../../state/changelog.js';
import type { KeyValueStore, KeyValueStoreFactory } from '../../state/kv-store.js';
import { InMemoryKeyValueStore } from '../../state/memory-store.js';
import { openTaskState, taskStateDir, type TaskState } from '../../state/local-checkpoint.js';
import type { Task } from '../task.js';
import type { PartitionPlan, Topology } from '../topology.js';
import { changelogBatch } from './changelog-batch.js';
import type { ResolvedRuntimeOptions } from './options.js';

/**
 * What a standby hands the active task that replaces it: for on-disk stores nothing (its local
 * checkpoint says how far the state goes: the task reopens the directory); for in-memory stores
 * the stores themselves and, per store, the first changelog offset they do not reflect.
 */
export interface StandbyHandover {
  readonly stores: ReadonlyMap<string, KeyValueStore>;
  readonly positions: ReadonlyMap<string, number>;
}

interface Target {
  readonly standby: StandbyTask;
  readonly store: string;
  readonly tp: TopicPartition;
  /** The next changelog offset to apply. */
  position: number;
}

interface StandbyTask {
  readonly id: string;
  readonly partition: number;
  /** Never opened, never processing: it holds the stores and applies changelog records to them. */
  readonly task: Task;
  readonly state: TaskState | undefined;
  readonly stores: Map<string, KeyValueStore>;
  readonly targets: Target[];
}

/** Checkpoint on-disk standby state this often (ms): a restart or promotion then reads only what came after. */
const CHECKPOINT_EVERY_MS = 1_000;

/**
 * Standby replicas (Kafka Streams' num.standby.replicas): this process keeps the state of tasks
 * other processes run warm, so that when their owner dies the group moves them here and the
 * restore reads only the changelog tail. A standby task has the task's stores and nothing else: a
 * background loop reads the tasks' changelog partitions (read_committed: never state of an open
 * or aborted transaction) from where the local state is and applies the records; on-disk stores
 * checkpoint as they go (the same `.checkpoint` an active task writes), so the standby's state is
 * also what a restart of this process finds. Logged stores only: a source table's store is
 * restored by the active task from its topic.
 *
 * The runtime pauses the loop around each rebalance (`pause()`), moves standbys that became active
 * into tasks (`take()`), sets the new standby set (`assign()`) and resumes.
 */
export class StandbyTasks {
  private readonly tasks = new Map<string, StandbyTask>();
  private consumer: LogConsumer | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private nextCheckpoint = 0;
  /** Changelog records applied since start (metrics, tests). */
  applied = 0;
  /** The error that stopped the loop, for the runtime to raise. */
  failure: unknown = undefined;

  constructor(
    private readonly log: Log,
    private readonly topology: Topology,
    private readonly plan: PartitionPlan,
    private readonly options: ResolvedRuntimeOptions,
  ) {}

  /** Partitions held as standbys. */
  get partitions(): number[] {
    return [...new Set([...this.tasks.values()].map((t) => t.partition))].sort((a, b) => a - b);
  }

  /** Per partition held: the sum of the changelog offsets its state reflects (the group leader's measure of warmth). */
  warmth(): Map<number, number> {
    const out = new Map<number, number>();
    for (const t of this.tasks.values()) for (const x of t.targets) out.set(t.partition, (out.get(t.partition) ?? 0) + x.position);
    return out;
  }

  /** Changelog records committed and not yet applied, over all standby tasks (read_committed ends). */
  async lag(): Promise<number> {
    const targets = [...this.tasks.values()].flatMap((t) => t.targets);
    if (targets.length === 0) return 0;
    const ends = await this.log.endOffsets(
      targets.map((x) => x.tp),
      'read_committed',
    );
    return targets.reduce((n, x, i) => n + Math.max(0, ends[i]! - x.position), 0);
  }

  /** Makes `partitions` the standby set (the loop must be paused): closes the others, opens the new ones. */
  async assign(partitions: readonly number[]): Promise<void> {
    const want = new Set(partitions);
    for (const [id, t] of this.tasks) {
      if (want.has(t.partition)) continue;
      await this.closeTask(t);
      this.tasks.delete(id);
    }
    const existing = await this.log.describeTopics(this.topology.changelogTopics);
    for (const p of [...want].sort((a, b) => a - b)) {
      for (const s of this.topology.subtopologies) {
        const id = `${s.id}_${p}`;
        if (p >= this.plan.tasks[s.id]! || this.tasks.has(id)) continue;
        const t = await this.openTask(s.id, p, existing);
        if (t.targets.length > 0) this.tasks.set(id, t);
        else await this.closeTask(t);
      }
    }
  }

  /**
   * The standby tasks of `partition` become active here: each leaves the standby set and hands its
   * state over (the loop must be paused). Keyed by task id.
   */
  async take(partition: number): Promise<Map<string, StandbyHandover | undefined>> {
    const out = new Map<string, StandbyHandover | undefined>();
    for (const [id, t] of this.tasks) {
      if (t.partition !== partition) continue;
      this.tasks.delete(id);
      if (t.state) {
        await this.checkpoint(t);
        t.task.close();
        await t.state.close();
        out.set(id, undefined);
      } else {
        out.set(id, { stores: t.stores, positions: new Map(t.targets.map((x) => [x.store, x.position])) });
      }
    }
    return out;
  }

  /** Starts (or restarts) reading the changelogs of the standby tasks. */
  resume(): void {
    if (this.loop || this.tasks.size === 0) return;
    const targets = [...this.tasks.values()].flatMap((t) => t.targets);
    this.stopping = false;
    const consumer = this.log.consumer({ isolation: 'read_committed', maxBytesPerPartition: 1024 * 1024, maxBytes: 4 * 1024 * 1024 });
    consumer.assign(targets.map((x) => ({ ...x.tp, offset: x.position })));
    this.consumer = consumer;
    this.loop = this.run(consumer, targets);
  }

  /** Stops the loop (after the fetch under way) and checkpoints; raises the loop's error if it failed. */
  async pause(): Promise<void> {
    this.stopping = true;
    this.consumer?.wakeup();
    await this.loop;
    this.loop = undefined;
    this.consumer?.close();
    this.consumer = undefined;
    if (this.failure !== undefined) throw this.failure;
    for (const t of this.tasks.values()) await this.checkpoint(t);
  }

  async close(): Promise<void> {
    await this.pause().catch(() => {});
    for (const t of this.tasks.values()) await this.closeTask(t);
    this.tasks.clear();
  }

  private async run(consumer: LogConsumer, targets: readonly Target[]): Promise<void> {
    const byTp = new Map<string, Target[]>();
    for (const x of targets) {
      const k = tpKey(x.tp.topic, x.tp.partition);
      byTp.set(k, [...(byTp.get(k) ?? []), x]);
    }
    const counted = { records: 0 };
    try {
      while (!this.stopping) {
        const fetched = await consumer.fetch(500);
        for (const f of fetched) {
          for (const x of byTp.get(tpKey(f.topic, f.partition)) ?? []) {
            // The restore's batch path: views of the fetched buffer straight into the store.
            counted.records = 0;
            applyChangelogBatch(x.standby.task.storeFor(x.store), changelogBatch(f, x.position, Infinity, counted));
            this.applied += counted.records;
            if (f.nextOffset > x.position) x.position = f.nextOffset;
          }
        }
        if (Date.now() >= this.nextCheckpoint) {
          for (const t of this.tasks.values()) await this.checkpoint(t);
          this.nextCheckpoint = Date.now() + CHECKPOINT_EVERY_MS;
        }
      }
    } catch (e) {
      this.failure = e;
    }
  }

  /** On-disk stores: records how far the applied changelog records go (they are committed already). */
  private async checkpoint(t: StandbyTask): Promise<void> {
    if (!t.state) return;
    // A batch restore leaves its LMDB transaction open (lmdb-store.ts): commit it first, so the
    // checkpoint never names changelog offsets whose records are not on disk.
    await t.state.environment.flush();
    await t.state.checkpoint(new Map(t.targets.map((x) => [x.store, x.position])));
  }

  private async openTask(subtopology: number, partition: number, existing: Map<string, { partitions: number }>): Promise<StandbyTask> {
    const id = `${subtopology}_${partition}`;
    const o = this.options;
    let state: TaskState | undefined;
    let base: KeyValueStoreFactory;
    if (o.stateStore === 'lmdb') {
      state = await openTaskState(taskStateDir(o.stateDir, this.topology.applicationId, id), {
        eos: o.processingGuarantee === 'exactly-once',
        sync: o.stateSync,
        ...(o.stateCacheMaxBytes !== undefined ? { cacheMaxBytes: o.stateCacheMaxBytes } : {}),
      });
      base = state.factory;
    } else {
      base = typeof o.stateStore === 'function' ? o.stateStore(id) : (name) => new InMemoryKeyValueStore(name);
    }
    const stores = new Map<string, KeyValueStore>();
    const refuse = (): never => {
      throw new Error(`standby task ${id} does not process records`);
    };
    const task = this.topology.createTask(subtopology, partition, this.plan, {
      now: Date.now(),
      partitionsFor: (topic) => this.plan.partitions.get(topic) ?? 1,
      collector: { send: refuse },
      changelog: { append: refuse },
      storeFactory: (name) => {
        const s = base(name);
        stores.set(name, s);
        return s;
      },
    });
    const standby: StandbyTask = { id, partition, task, state, stores, targets: [] };
    for (const s of task.stores) {
      const info = existing.get(s.changelogTopic);
      if (!s.logged || !info || partition >= info.partitions) continue;
      standby.targets.push({ standby, store: s.name, tp: { topic: s.changelogTopic, partition }, position: state?.checkpointOffsets.get(s.name) ?? 0 });
    }
    return standby;
  }

  private async closeTask(t: StandbyTask): Promise<void> {
    await this.checkpoint(t).catch(() => {});
    t.task.close();
    await t.state?.close();
  }
}
