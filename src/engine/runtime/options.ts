import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogConnector } from '../../connectors/index.js';
import type { KeyValueStoreFactory } from '../../state/kv-store.js';
import { TopologyError } from '../errors.js';

export type ProcessingGuarantee = 'exactly-once' | 'at-least-once';

/**
 * How an application runs: given to `new StreamsApp({ ... })` (the `log` and these settings) or
 * to `app.start(options)` / `app.run(options)`, which override the app's.
 */
export interface RuntimeOptions {
  /** The log: `embedded({ dataDir })`, later `kafka({ brokers })`. */
  readonly log?: LogConnector;
  /**
   * 'exactly-once' (default): every commit interval, the outputs, changelog writes and input
   * offsets of all tasks are committed in one transaction. 'at-least-once': outputs are appended
   * as soon as they are produced (visible at once, lower latency) and input offsets committed
   * after them, so a crash may repeat, never lose, output.
   */
  readonly processingGuarantee?: ProcessingGuarantee;
  /** How often tasks commit (ms); default 100. */
  readonly commitIntervalMs?: number;
  /**
   * Where task state lives: 'memory' (default; rebuilt from the changelogs at every start) or
   * 'lmdb' (on disk under stateDir, with a local checkpoint so a restart restores only the
   * changelog tail; for state larger than memory). A KeyValueStoreFactory-per-task function
   * plugs in any other store (in memory: restored from the start of the changelog).
   */
  readonly stateStore?: 'memory' | 'lmdb' | ((taskId: string) => KeyValueStoreFactory);
  /** On-disk task state (stateStore 'lmdb'): `<stateDir>/<applicationId>/<task>`. Default `<tmpdir>/tributary-streams`. */
  readonly stateDir?: string;
  /**
   * fsync the on-disk stores and their checkpoints at each commit (default false: survives kill -9,
   * not a power cut — like the embedded log's default fsync 'interval').
   */
  readonly stateSync?: boolean;
  /**
   * On-disk stores (stateStore 'lmdb'): bytes of decoded state the operators of a task may cache in
   * front of each store (Kafka Streams' statestore.cache.max.bytes), written back at each commit and
   * when full. Default 16 MiB; Infinity keeps the whole state in the heap too (fastest, no bound).
   */
  readonly stateCacheMaxBytes?: number;
  /**
   * Names this instance of the application: its transactional id is `<applicationId>-<instanceId>`,
   * so a restarted instance fences its predecessor (zombie). Default 'main' (one instance per
   * application, as long as scale-out is not there).
   */
  readonly instanceId?: string;
  /** How often tasks see the wall clock (idleness, processing-time timers, closeIdleWindowsAfter); default 100 ms. */
  readonly wallClockIntervalMs?: number;
  /**
   * Output bytes buffered before they are appended (in the open transaction): bounds memory.
   * Default 1 MiB (about one batch, as Kafka's producer sends full batches without waiting for the
   * commit): output records held for a whole commit interval outlive V8's young generation, and
   * copying them in every scavenge was ~15 % of a passthrough query's CPU time at 32 MiB.
   */
  readonly maxBufferedBytes?: number;
  /** Bytes fetched per partition and fetch; default 512 KiB. */
  readonly fetchMaxBytesPerPartition?: number;
  /** Bytes fetched per fetch over all partitions (one loop turn processes that much before it may commit); default 2 MiB. */
  readonly fetchMaxBytes?: number;
  /** mapAsync calls pending in a task before fetching stops until they settle; default 10,000. */
  readonly maxPendingAsync?: number;
  /**
   * Scale-out: this process joins the consumer group `<applicationId>` and runs only the tasks of
   * the partitions the group assigns it; processes come and go, and on each rebalance the tasks
   * move (committed, closed, restored from their changelogs elsewhere). Needs a log with a group
   * coordinator (`kafka({ brokers })`: Kafka or `tributary broker`) and a distinct `instanceId` per
   * process. Not for bounded runs. Default false (one process runs every task).
   */
  readonly scaleOut?: boolean;
  /**
   * Scale-out: Kafka Streams' num.standby.replicas. Each task's state is also kept warm in this many
   * other processes (they read its changelogs, read_committed, without processing); when the
   * task's process dies, the group moves it to one of them and its restore reads only the
   * changelog tail. Default 0. With `stateStore: 'lmdb'` a standby's state is also checkpointed on disk.
   */
  readonly numStandbyReplicas?: number;
  /**
   * Without scale-out this process runs every task, so the records of a repartition (keyBy,
   * selectKey, groupBy) go from the writing task to the reading task in memory, committed with
   * the source offsets and the readers' state, and the repartition topic is not written (Flink's
   * local exchange; see docs/runtime.md). Default false: the topic is written and read, as Kafka
   * Streams does and a scaled-out run must (and as the benchmarks show no throughput gain yet, only
   * less memory and no repartition disk writes). Ignored (the topic is always used) with `scaleOut`.
   */
  readonly localRepartition?: boolean;
  /**
   * @internal With localRepartition: hand keys and values over as the serdes' copies (Serde.copy,
   * default true) or serialize them as for the topic (false: the exchange before it, for measuring).
   */
  readonly localRepartitionObjects?: boolean;
  /**
   * @internal Set by runThreads: this runtime is one of `count` threads of the process and runs
   * the tasks of the partitions p with p % count === index (of every sub-topology). The threads
   * share the embedded log; each has its own transactional producer.
   */
  readonly thread?: { readonly index: number; readonly count: number };
  /** Scale-out: Kafka's session.timeout.ms (a process silent this long loses its tasks); default 10 s. */
  readonly sessionTimeoutMs?: number;
  /** Scale-out: called after each rebalance with what this process got and how long it took. */
  readonly onRebalance?: (info: RebalanceInfo) => void;
  /**
   * Scale-out: Kafka Streams' application.server — the base URL this process serves interactive
   * queries on (its dashboard, e.g. `http://10.0.0.7:8080`). Announced to the group, so every
   * process's dashboard answers `/api/state/<store>?key=` for any key by asking the key's owner.
   */
  readonly applicationServer?: string;
  /** Called once with the error that stopped a running application (start()); run() rejects with it. */
  readonly onError?: (error: unknown) => void;
  /** @internal Test seam: awaited before each commit (an in-process stand-in for SIGSTOP). */
  readonly beforeCommit?: () => Promise<void> | void;
}

/** One rebalance of a scaled-out application, as this process saw it. */
export interface RebalanceInfo {
  readonly generationId: number;
  /** Task partitions this process runs now. */
  readonly partitions: readonly number[];
  /** Task partitions this process keeps standby state for now (numStandbyReplicas). */
  readonly standbyPartitions: readonly number[];
  /** From noticing the rebalance to processing again (commit, rejoin, restore). */
  readonly durationMs: number;
  /** Restoring the newly assigned tasks' stores from their changelogs. */
  readonly restoreMs: number;
  readonly restoredRecords: number;
}

export interface ResolvedRuntimeOptions {
  readonly scaleOut: boolean;
  readonly thread: { readonly index: number; readonly count: number } | undefined;
  readonly localRepartition: boolean;
  readonly localRepartitionObjects: boolean;
  readonly numStandbyReplicas: number;
  readonly sessionTimeoutMs: number;
  readonly onRebalance: ((info: RebalanceInfo) => void) | undefined;
  readonly applicationServer: string | undefined;
  readonly log: LogConnector;
  readonly processingGuarantee: ProcessingGuarantee;
  readonly commitIntervalMs: number;
  readonly stateStore: 'memory' | 'lmdb' | ((taskId: string) => KeyValueStoreFactory);
  readonly stateDir: string;
  readonly stateSync: boolean;
  readonly stateCacheMaxBytes: number | undefined;
  readonly instanceId: string;
  readonly wallClockIntervalMs: number;
  readonly maxBufferedBytes: number;
  readonly fetchMaxBytesPerPartition: number;
  readonly fetchMaxBytes: number;
  readonly maxPendingAsync: number;
  readonly onError: ((error: unknown) => void) | undefined;
  readonly beforeCommit: (() => Promise<void> | void) | undefined;
}

export function resolveRuntimeOptions(app: RuntimeOptions, call: RuntimeOptions = {}): ResolvedRuntimeOptions {
  const o = { ...app, ...stripUndefined(call) };
  if (!o.log) throw new TopologyError('no log to run on: pass `log: embedded({ dataDir })` to the StreamsApp or to start()/run()');
  const guarantee = o.processingGuarantee ?? 'exactly-once';
  if (guarantee !== 'exactly-once' && guarantee !== 'at-least-once') {
    throw new TopologyError(`processingGuarantee must be 'exactly-once' or 'at-least-once', got ${String(guarantee)}`);
  }
  const positive = (name: string, v: number | undefined, d: number): number => {
    const x = v ?? d;
    if (!(typeof x === 'number' && x > 0 && Number.isFinite(x))) throw new TopologyError(`${name} must be a positive number, got ${String(v)}`);
    return x;
  };
  const instanceId = o.instanceId ?? 'main';
  if (!/^[A-Za-z0-9._-]+$/.test(instanceId)) throw new TopologyError(`instanceId must use only letters, digits, '.', '_' and '-'`);
  return {
    log: o.log,
    processingGuarantee: guarantee,
    commitIntervalMs: positive('commitIntervalMs', o.commitIntervalMs, 100),
    stateStore: checkStore(o.stateStore ?? 'memory'),
    stateDir: o.stateDir ?? join(tmpdir(), 'tributary-streams'),
    stateSync: o.stateSync ?? false,
    stateCacheMaxBytes: o.stateCacheMaxBytes === undefined || o.stateCacheMaxBytes === Infinity ? o.stateCacheMaxBytes : positive('stateCacheMaxBytes', o.stateCacheMaxBytes, 0),
    instanceId,
    wallClockIntervalMs: positive('wallClockIntervalMs', o.wallClockIntervalMs, 100),
    maxBufferedBytes: positive('maxBufferedBytes', o.maxBufferedBytes, 1024 * 1024),
    fetchMaxBytesPerPartition: positive('fetchMaxBytesPerPartition', o.fetchMaxBytesPerPartition, 512 * 1024),
    fetchMaxBytes: positive('fetchMaxBytes', o.fetchMaxBytes, 2 * 1024 * 1024),
    maxPendingAsync: positive('maxPendingAsync', o.maxPendingAsync, 10_000),
    scaleOut: o.scaleOut ?? false,
    thread: o.thread,
    // Another thread or process runs some of the reading tasks: the records go through the topic.
    localRepartition: !(o.scaleOut ?? false) && o.thread === undefined && (o.localRepartition ?? false),
    localRepartitionObjects: o.localRepartitionObjects ?? true,
    numStandbyReplicas: standbyReplicas(o.numStandbyReplicas),
    sessionTimeoutMs: positive('sessionTimeoutMs', o.sessionTimeoutMs, 10_000),
    onRebalance: o.onRebalance,
    applicationServer: applicationServer(o.applicationServer),
    onError: o.onError,
    beforeCommit: o.beforeCommit,
  };
}

function standbyReplicas(n: number | undefined): number {
  if (n === undefined) return 0;
  if (!Number.isInteger(n) || n < 0) throw new TopologyError(`numStandbyReplicas must be a whole number >= 0, got ${String(n)}`);
  return n;
}

function applicationServer(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TopologyError(`applicationServer must be a URL like http://host:port, got '${url}'`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TopologyError(`applicationServer must be an http(s) URL, got '${url}'`);
  return u.origin;
}

function checkStore(s: RuntimeOptions['stateStore']): ResolvedRuntimeOptions['stateStore'] {
  if (s === 'memory' || s === 'lmdb' || typeof s === 'function') return s;
  throw new TopologyError(`stateStore must be 'memory', 'lmdb' or a function, got ${String(s)}`);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
