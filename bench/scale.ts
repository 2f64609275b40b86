/**
 * Scale-out on logs of the Kafka protocol:
 *
 *   npm run bench -- scale [--events N] [--warmup N] [--warmup-rounds W] [--rounds R] [--semi-space MB] [--keys K] [--partitions P] [--rate R] [--latency-seconds S]
 *                          [--restore-keys N] [--targets kafka,broker] [--profile DIR] [--json]
 *
 * For each target - a real single-node Apache Kafka (scripts/kafka/cluster.ts, its own run dir and
 * free ports, stopped at the end) and `tributary broker` (bench/support/broker-process.ts) - and
 * for 1 and for 2 application processes (bench/support/scale-app.ts: keyBy + 1 s tumbling count,
 * exactly-once, `scaleOut: true`, child processes with the same applicationId):
 *
 * - throughput: once every process is up, the group has settled and --warmup events (default
 *   100,000) went through the whole pipeline (so each process's JIT warm-up is not charged to the
 *   measured events), the bench produces N events
 *   (default 3,000,000: null keys round-robin over P = 4 partitions, K = 1,000 keys, 10,000 events per
 *   second of event time, so ~10 events per key and window) in one transaction, and times from its
 *   commit (the application, reading read_committed, sees them all at once: a backlog, and the
 *   bench's own producing does not take the cores while the round runs) until the group's committed
 *   offsets cover them, on the input and then on the repartition topic (both sub-topologies done): events/s
 *   of wall-clock time, and events per CPU-second of the application processes (utime + stime from
 *   /proc; the figure that holds on a loaded machine), also above the processes' idle CPU (sampled for
 *   3 s before the input: commit loop, fetch polls, heartbeats - overhead that grows with wall time, so
 *   with the machine's load), and the CPU time of the Kafka JVM or broker, which both configurations
 *   share, with its CPU per thread (the JVM's compilers apart from Kafka's request handlers). Three
 *   configurations stay deployed and take turns, first for --warmup-rounds rounds (default 2) that
 *   are reported but not counted (Kafka's JVM compiles its per-request code for a minute or more,
 *   and the processes their own: a compiler's CPU is not the events'), then for --rounds rounds
 *   (default 3) of N events each: 1 process on every core, the same process on one core (it and the log pinned with
 *   `taskset`), 2 processes on 2 cores (every core of a 2-core machine). Each reports its best round (least CPU, least wall time),
 *   so that a burst of the machine's other load does not decide the comparison. `scaling.per_core`
 *   is 2 processes on 2 cores over 1 process on 1 core: what adding a process with its core gives.
 *   `scaling.wall` is the 2-process figure over the 1-process one on the same cores: one process
 *   already keeps more than one core busy (V8's and libuv's threads, the log), so on 2 cores it is
 *   bounded well below 2 (`wall_ceiling`).
 * - latency: then R events/s (default 5,000) with event time = now for S seconds (default 10); each
 *   window result's latency is from its window's end (the earliest it can be final) to the moment
 *   the bench reads it read_committed from the output topic; p50/p99.
 *
 * - young generation: the application processes run with --max-semi-space-size=64 (--semi-space
 *   MB, 0 for V8's default of 16 MB), the setting README suggests for scaled-out processes. With
 *   16 MB, two processes scavenged ~30% more often per event than one, paused longer per event, and
 *   their GC threads used 60-85% more CPU per event; with 64 MB they collect as one process does
 *   (docs/performance.md, round 2026-11-27d). The bench reports scavenges and mark-compacts per 1M
 *   events and the main threads' GC pauses (`app_gc`).
 * - requests: what the application processes sent during the throughput phase, per 1,000 events:
 *   requests by Kafka API (their fixed costs: transactions per commit, fetches, heartbeats, ...),
 *   records produced and offsets fetched per topic (changelog records, watermark markers).
 *   `--profile DIR` also writes a V8 CPU profile of each process over that phase
 *   (DIR/<target>-<n>p-p<i>.cpuprofile, for Chrome DevTools or speedscope).
 *
 * And restore (one process, per target): a keyed count over `--restore-keys` distinct keys (default
 * 1,000,000) run to the end of its input (state: one changelog record per key), the local state
 * deleted, the run started again: its restore of every key from the changelog is timed (keys/s).
 *
 * Targets (issue 5): 2 processes on 2 cores >= 1.7x one process (on one); restore >= 500K keys/s. The machine's load
 * average is part of the output: wall-clock figures are only comparable on an idle machine.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StreamsApp, json, string, windowed } from '../src/index.js';
import { partitionForKey } from '../src/records/partitioner.js';
import { kafka, visitRecords, type Log } from '../src/connectors/index.js';
import { kafkaAvailable } from '../scripts/kafka/cluster.js';
import { cpuSeconds, withKafka, withTributaryBroker } from './support/targets.js';
import { WINDOW_MS, buildScaleApp, inputTopic, outputTopic } from './support/scale-app.js';
import { keyAmountSerde } from './support/key-amount.js';
import { threadCpu, threadCpuDelta } from './support/thread-cpu.js';
import { median } from './support/median.js';

const here = dirname(fileURLToPath(import.meta.url));
const T0 = 1_700_000_000_000;
const IDLE_SAMPLE_MS = 3_000;
const USAGE =
  'usage: npm run bench -- scale [--events N] [--warmup N] [--warmup-rounds W] [--rounds R] [--semi-space MB] [--keys K] [--partitions P] [--rate R] [--latency-seconds S] [--restore-keys N] [--targets kafka,broker] [--profile DIR] [--json]';

type TargetName = 'kafka' | 'broker';

interface Options {
  events: number;
  /** Events processed before the measurement (not counted). */
  warmup: number;
  /** Measured rounds per configuration (the configurations take turns). */
  rounds: number;
  /** Rounds per configuration before those, not counted (the JIT compilers' warm-up). */
  warmupRounds: number;
  /** V8's --max-semi-space-size for the application processes, in MB (0: V8's default). */
  semiSpaceMb: number;
  keys: number;
  partitions: number;
  rate: number;
  latencySeconds: number;
  restoreKeys: number;
  targets: TargetName[];
  /** Where to write CPU profiles of the application processes' throughput phase (none when undefined). */
  profileDir: string | undefined;
  json: boolean;
}

interface RoundSummary {
  seconds: number;
  app_cpu_sec: number;
  broker_cpu_sec: number;
}

interface RunResult {
  processes: number;
  /** Cores the processes and the log ran on: every core of the machine, or fewer (`taskset`): 1 process on 1, 2 processes on 2. */
  cores: number;
  /** Events per round. */
  events: number;
  /** The warm-up rounds (not counted): while the log's and the processes' JIT compilers still work, the first rounds cost more. */
  warmup_rounds: RoundSummary[];
  /** Every measured round; the figures below are the best round's. */
  rounds: RoundSummary[];
  seconds: number;
  events_per_sec: number;
  app_cpu_sec: number;
  events_per_cpu_sec: number;
  /** CPU-seconds per second the processes used with nothing to process (sampled before the input): grows with the run's wall time, not with the events. */
  app_idle_cpu_per_sec: number;
  /** Events per CPU-second above that idle baseline (null when the baseline swallows the whole run). */
  events_per_busy_cpu_sec: number | null;
  /** CPU time of the Kafka JVM or the broker process during the run: both configurations share it. */
  broker_cpu_sec: number;
  /** Cores busy during that round: (app CPU + broker CPU) / its wall time. */
  cores_used: number;
  /**
   * What the application processes sent during the throughput phase, per 1,000 events: requests by
   * Kafka API, records produced (`produce <topic>`) and offsets fetched (`fetch <topic>`) per topic.
   */
  requests_per_1k_events: Record<string, number>;
  /** The application processes' CPU-seconds during the throughput phase per thread name (main thread, V8 workers: GC and compilers, libuv pool). */
  app_cpu_sec_by_thread: Record<string, number>;
  /** The Kafka JVM's or the broker's CPU-seconds during the throughput phase per thread name (digits dropped: a pool adds up). */
  broker_cpu_sec_by_thread: Record<string, number>;
  /** The application processes' garbage collections in that phase: scavenges and mark-compacts per 1M events, main-thread pauses (their GC threads' share is in `app_cpu_sec_by_thread`). */
  app_gc: { scavenges_per_1m_events: number; mark_compacts_per_1m_events: number; pause_sec: number };
  latency: { rate: number; seconds: number; windows: number; p50_ms: number; p99_ms: number };
}

interface RestoreResult {
  keys: number;
  restored_records: number;
  restore_ms: number;
  keys_per_sec: number;
  /** CPU time of the whole restarted run (start, restore, nothing left to process, close): a lower bound on keys per CPU-second of the restore. */
  run_cpu_sec: number;
  keys_per_cpu_sec: number;
  /** Writing the state in the first place (processing the input, changelog included). */
  build_seconds: number;
}

interface TargetResult {
  target: TargetName;
  runs: RunResult[];
  /**
   * 2-process over 1-process events/s (wall clock) and events per CPU-second. `wall_ceiling`: the
   * most the wall-clock ratio can be on this machine, the 2-process configuration's app + broker
   * CPU per event spread over every core, over the 1-process events/s (one process already keeps
   * more than one core busy with V8's and libuv's threads and the broker, which share the cores).
   * `per_core`: 2 processes on 2 cores over 1 process on 1 core, the log confined with it (the
   * measure of scaling out: each process brings its core; null on a machine of one core).
   * `per_core_median`: the same from each configuration's median round instead of its best.
   */
  scaling: { wall: number | null; per_cpu_sec: number | null; per_busy_cpu_sec: number | null; wall_ceiling: number | null; per_core: number | null; per_core_median: number | null };
  restore: RestoreResult;
}

function parseArgs(args: readonly string[]): Options {
  const o: Options = { events: 3_000_000, warmup: 100_000, rounds: 3, warmupRounds: 2, semiSpaceMb: 64, keys: 1_000, partitions: 4, rate: 5_000, latencySeconds: 10, restoreKeys: 1_000_000, targets: ['kafka', 'broker'], profileDir: undefined, json: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const int = (): number => {
      const v = Number(args[++i]);
      if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`${a} needs a positive integer\n${USAGE}`);
      return v;
    };
    const count = (what: string): number => {
      const v = Number(args[++i]);
      if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${a} needs ${what}\n${USAGE}`);
      return v;
    };
    if (a === '--events') o.events = int();
    else if (a === '--rounds') o.rounds = int();
    else if (a === '--warmup-rounds') o.warmupRounds = count('a count of rounds (0: none)');
    else if (a === '--semi-space') o.semiSpaceMb = count("a size in MB (0: V8's default)");
    else if (a === '--warmup') o.warmup = count('a count of events (0: none)');
    else if (a === '--keys') o.keys = int();
    else if (a === '--partitions') o.partitions = int();
    else if (a === '--rate') o.rate = int();
    else if (a === '--latency-seconds') o.latencySeconds = int();
    else if (a === '--restore-keys') o.restoreKeys = int();
    else if (a === '--targets') {
      const list = (args[++i] ?? '').split(',').filter(Boolean);
      if (list.length === 0 || list.some((t) => t !== 'kafka' && t !== 'broker')) throw new Error(`--targets: kafka, broker or both\n${USAGE}`);
      o.targets = list as TargetName[];
    } else if (a === '--profile') {
      const dir = args[++i];
      if (!dir) throw new Error(`--profile needs a directory\n${USAGE}`);
      o.profileDir = dir;
    } else if (a === '--json') o.json = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  if (o.partitions < 2) throw new Error('--partitions must be at least 2 (two processes share them)');
  return o;
}

function progress(line: string): void {
  process.stderr.write(`bench scale: ${line}\n`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const round = (x: number, digits = 0): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** utime + stime of a process, in seconds (0 once it is gone). */
function cpuSecondsOr0(pid: number): number {
  try {
    return cpuSeconds(pid);
  } catch {
    return 0;
  }
}

/** Sets the CPU affinity of every thread of each process (taskset -a: the JVM's and Node's threads). */
function pinToCpus(pids: readonly number[], list: string): void {
  for (const pid of pids) execFileSync('taskset', ['-a', '-p', '-c', list, String(pid)], { stdio: 'ignore' });
}

// ---------------------------------------------------------------------------------------------
// Application processes

interface AppProcess {
  child: ChildProcess;
  ready: Promise<void>;
  /** Task partitions of each rebalance this process reported. */
  rebalances: number[][];
  /** Waiting for the answer line of a command (STATS, PROFILE STOP). */
  waiters: Array<{ prefix: string; resolve: (rest: string) => void }>;
}

/** The Node flags of the application processes: a young generation of `semiSpaceMb` per semi-space (0: V8's default, 16 MB here). */
function nodeFlags(o: Options): string[] {
  return o.semiSpaceMb > 0 ? [`--max-semi-space-size=${o.semiSpaceMb}`] : [];
}

function startApp(bootstrap: string, stateDir: string, app: string, instance: string, o: Options): AppProcess {
  const child = spawn(process.execPath, [...nodeFlags(o), '--import', 'tsx', join(here, 'support', 'scale-app.ts'), bootstrap, stateDir, app, instance], { stdio: ['pipe', 'pipe', 'inherit'] });
  const p: AppProcess = { child, ready: Promise.resolve(), rebalances: [], waiters: [] };
  p.ready = new Promise<void>((resolve, reject) => {
    let buf = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === 'READY') resolve();
        else if (line.startsWith('REBALANCE ')) p.rebalances.push((JSON.parse(line.slice(10)) as { partitions: number[] }).partitions);
        else {
          const w = p.waiters.findIndex((x) => line.startsWith(x.prefix));
          if (w >= 0) {
            const [x] = p.waiters.splice(w, 1);
            x!.resolve(line.slice(x!.prefix.length));
          }
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`scale app ${instance} exited with ${code}`)));
  });
  p.ready.catch(() => {});
  return p;
}

/** Sends a command line to the process and resolves with the rest of its answer line (which starts with `answer`). */
function ask(p: AppProcess, command: string, answer: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const exited = (code: number | null): void => reject(new Error(`scale app exited with ${code} before answering ${command}`));
    p.waiters.push({
      prefix: answer,
      resolve: (rest) => {
        p.child.off('exit', exited);
        resolve(rest);
      },
    });
    p.child.once('exit', exited);
    p.child.stdin!.write(`${command}\n`);
  });
}

async function requestCounts(procs: readonly AppProcess[]): Promise<Map<string, number>> {
  const total = new Map<string, number>();
  for (const p of procs) {
    const counts = JSON.parse(await ask(p, 'STATS', 'STATS ')) as Record<string, number>;
    for (const [api, n] of Object.entries(counts)) total.set(api, (total.get(api) ?? 0) + n);
  }
  return total;
}

async function stopApp(p: AppProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGTERM');
  const t = setTimeout(() => p.child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(t);
}

async function settle(procs: AppProcess[], partitions: number): Promise<void> {
  for (const p of procs) await p.ready;
  if (procs.length === 1) return;
  // The first process started with every task; the group has settled once it reported a
  // rebalance that left it a share (the others got theirs when they joined).
  const deadline = Date.now() + 120_000;
  const firstHolds = (): number => procs[0]!.rebalances.at(-1)?.length ?? partitions;
  while (firstHolds() >= partitions) {
    if (Date.now() > deadline) throw new Error('the group did not settle in 120 s');
    await sleep(100);
  }
  await sleep(1_000);
}

// ---------------------------------------------------------------------------------------------
// Input, progress, output

function eventValue(k: number, a: number): Buffer {
  return keyAmountSerde.serialize({ k, a });
}

/**
 * Sends events i = from .. from + n - 1 with key id i % keys: round-robin over the partitions with null keys, or (`keyed`)
 * with the key `k<id>` in its partition (Kafka's partitioner).
 *
 * With `release`, the events go in one transaction and `release` is called just before it commits:
 * read_committed readers (the application) see none of them before and all of them at once after.
 * A timed round then measures the application working off a backlog, not the bench's own producing,
 * which otherwise takes ~0.4 of the machine's 2 cores while the round runs.
 */
async function produce(
  admin: Log,
  topic: string,
  partitions: number,
  n: number,
  keys: number,
  timestamp: (i: number) => number,
  { keyed = false, from = 0, release }: { keyed?: boolean; from?: number; release?: () => void } = {},
): Promise<void> {
  const p = await admin.producer(release ? { transactionalId: `${topic}-bench-input`, transactionTimeoutMs: 300_000 } : {});
  for (let i = from; i < from + n; i++) {
    const key = keyed ? Buffer.from(`k${i % keys}`) : null;
    const partition = key ? partitionForKey(key, partitions) : i % partitions;
    p.send({ topic, partition, timestamp: timestamp(i), key, value: eventValue(i % keys, i % 1000), headers: [] });
    if (i % 20_000 === 19_999) await p.flush();
  }
  if (release) {
    await p.flush();
    release();
    await p.commitTransaction();
  } else await p.flush();
  await p.close();
}

async function committedTotal(admin: Log, app: string, partitions: number): Promise<number> {
  const tps = Array.from({ length: partitions }, (_, partition) => ({ topic: inputTopic(app), partition }));
  return (await admin.committedOffsets(app, tps)).reduce((s, o) => s + Math.max(0, o), 0);
}

async function awaitCommitted(admin: Log, app: string, partitions: number, total: number, procs: AppProcess[]): Promise<void> {
  const deadline = Date.now() + 600_000;
  while ((await committedTotal(admin, app, partitions)) < total) {
    for (const p of procs) if (p.child.exitCode !== null) throw new Error(`an application process exited (${p.child.exitCode})`);
    if (Date.now() > deadline) throw new Error(`the application did not commit ${total} input records in 600 s`);
    await sleep(20);
  }
}

/**
 * Once the input is committed: waits until the group has also committed its repartition topics up
 * to their ends, i.e. the second sub-topology (the windowed count) processed every event too. The
 * input's transactions carried the repartition records, so those ends are final by now. Without
 * this the measurement ended with a varying share of the counting still to do (a quarter of it
 * done with 1 process, 60% with 2), which made events per CPU-second incomparable.
 */
async function awaitRepartitionCommitted(admin: Log, app: string, procs: AppProcess[]): Promise<void> {
  const topics = buildScaleApp(app).topology().repartitionTopics;
  const info = await admin.describeTopics(topics);
  const tps = topics.flatMap((topic) => Array.from({ length: info.get(topic)?.partitions ?? 0 }, (_, partition) => ({ topic, partition })));
  const ends = await admin.endOffsets(tps, 'read_committed');
  const deadline = Date.now() + 600_000;
  for (;;) {
    const committed = await admin.committedOffsets(app, tps);
    if (committed.every((c, i) => c >= ends[i]!)) return;
    for (const p of procs) if (p.child.exitCode !== null) throw new Error(`an application process exited (${p.child.exitCode})`);
    if (Date.now() > deadline) throw new Error(`the application did not commit its repartition topics to ${JSON.stringify(ends)} in 600 s (at ${JSON.stringify(committed)})`);
    await sleep(20);
  }
}

const pct = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/**
 * Closes the throughput phase's windows (one event per partition, event time well past them) and
 * waits until the app has committed it and its output stopped growing, so that their results do
 * not queue ahead of the latency phase's.
 */
async function drain(admin: Log, app: string, o: Options, sent: number, procs: AppProcess[]): Promise<void> {
  const p = await admin.producer();
  const ts = Date.now() - 10_000;
  for (let j = 0; j < o.partitions; j++) p.send({ topic: inputTopic(app), partition: j, timestamp: ts, key: null, value: eventValue(0, 0), headers: [] });
  await p.flush();
  await p.close();
  await awaitCommitted(admin, app, o.partitions, sent + o.partitions, procs);
  const out = outputTopic(app);
  const tps = Array.from({ length: (await admin.describeTopics([out])).get(out)?.partitions ?? 0 }, (_, partition) => ({ topic: out, partition }));
  const endOf = async (): Promise<number> => (await admin.endOffsets(tps, 'read_committed')).reduce((a, b) => a + b, 0);
  for (let before = -1, now = await endOf(); now !== before; ) {
    await sleep(1_500);
    [before, now] = [now, await endOf()];
  }
}

async function measureLatency(admin: Log, app: string, o: Options, from: number): Promise<RunResult['latency']> {
  const out = outputTopic(app);
  const info = (await admin.describeTopics([out])).get(out);
  if (!info) throw new Error(`no output topic ${out}`);
  const tps = Array.from({ length: info.partitions }, (_, partition) => ({ topic: out, partition }));
  const ends = await admin.endOffsets(tps, 'read_committed');
  const reader = admin.consumer({ isolation: 'read_committed' });
  reader.assign(tps.map((tp, i) => ({ ...tp, offset: ends[i]! })));
  const keySerde = windowed(string());
  const startWall = Date.now();
  const latencies: number[] = [];
  let stop = false;
  const reading = (async () => {
    while (!stop) {
      const fetched = await reader.fetch(50);
      const now = Date.now();
      for (const f of fetched) {
        visitRecords(f, (_o, _ts, k) => {
          const w = keySerde.deserialize(Buffer.from(k!));
          if (w.start >= startWall) latencies.push(now - w.end);
        });
      }
    }
  })();
  const p = await admin.producer();
  const topic = inputTopic(app);
  let sent = 0;
  const total = o.rate * o.latencySeconds;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - startWall) / 1000) * o.rate));
    const now = Date.now();
    for (; sent < due; sent++) {
      const i = from + sent;
      p.send({ topic, partition: i % o.partitions, timestamp: now, key: null, value: eventValue(i % o.keys, 1), headers: [] });
    }
    await p.flush();
    await sleep(10);
  }
  // One more window's worth of events closes the last full windows; then wait for their results.
  const closeAt = Date.now() + WINDOW_MS + 200;
  while (Date.now() < closeAt) {
    const now = Date.now();
    for (let j = 0; j < o.partitions; j++) p.send({ topic, partition: j, timestamp: now, key: null, value: eventValue(0, 0), headers: [] });
    await p.flush();
    await sleep(50);
  }
  await sleep(3_000);
  await p.close();
  stop = true;
  reader.wakeup();
  await reading;
  reader.close();
  latencies.sort((a, b) => a - b);
  return { rate: o.rate, seconds: o.latencySeconds, windows: latencies.length, p50_ms: pct(latencies, 0.5), p99_ms: pct(latencies, 0.99) };
}

// ---------------------------------------------------------------------------------------------
// Phases

/** One configuration (1 or 2 application processes) of a target, deployed for every round. */
interface Deployment {
  target: TargetName;
  processes: number;
  app: string;
  admin: Log;
  procs: AppProcess[];
  /** Input events sent so far (warm-up and rounds): the next event's index. */
  sent: number;
}

/** One measured batch of events through a deployment. */
interface Round {
  seconds: number;
  cpu: number;
  idlePerSec: number;
  brokerCpu: number;
  requests: Record<string, number>;
  threads: Record<string, number>;
  brokerThreads: Record<string, number>;
  gc: RunResult['app_gc'];
}

/** Starts the processes (one at a time: the first takes every task, the next ones join), waits for the group to settle, warms up. */
async function deploy(bootstrap: string, target: TargetName, processes: number, o: Options, dir: string): Promise<Deployment> {
  const app = `scale-${target}-${processes}p`;
  const admin = await kafka({ brokers: bootstrap }).connect();
  const d: Deployment = { target, processes, app, admin, procs: [], sent: 0 };
  try {
    await admin.createTopics([{ name: inputTopic(app), partitions: o.partitions, config: { 'retention.ms': -1 } }]);
    progress(`${target}, ${processes} process(es): starting`);
    for (let i = 0; i < processes; i++) {
      d.procs.push(startApp(bootstrap, join(dir, `${app}-${i}`), app, `p${i}`, o));
      await d.procs[i]!.ready;
    }
    await settle(d.procs, o.partitions);
    // Warm-up: every process runs the whole pipeline (and V8 compiles its hot code) before the
    // measurement; a short run otherwise charges each process's JIT warm-up to its events.
    if (o.warmup > 0) await pushThrough(d, o, o.warmup);
    return d;
  } catch (e) {
    await undeploy(d);
    throw e;
  }
}

async function undeploy(d: Deployment): Promise<void> {
  await Promise.all(d.procs.map(stopApp));
  await d.admin.close();
}

/**
 * Produces the next n events (in one transaction: `release` is called as it commits) and waits until
 * both sub-topologies processed and committed them.
 */
async function pushThrough(d: Deployment, o: Options, n: number, release: () => void = () => {}): Promise<void> {
  await produce(d.admin, inputTopic(d.app), o.partitions, n, o.keys, (i) => T0 + Math.floor(i / 10), { from: d.sent, release });
  d.sent += n;
  await awaitCommitted(d.admin, d.app, o.partitions, d.sent, d.procs);
  await awaitRepartitionCommitted(d.admin, d.app, d.procs);
}

/** One round of `o.events` events: `index` counts the warm-up rounds (`warm`) too. */
async function measureRound(d: Deployment, cores: number, brokerPid: number, o: Options, index: number, warm: boolean): Promise<Round> {
  const { procs, target, processes } = d;
  const appCpu = (): number => procs.reduce((s, p) => s + cpuSecondsOr0(p.child.pid!), 0);
  // What the processes burn with nothing to do (commit loop, fetch polls, heartbeats), per second.
  const idle0 = appCpu();
  const i0 = Date.now();
  await sleep(IDLE_SAMPLE_MS);
  const idlePerSec = (appCpu() - idle0) / ((Date.now() - i0) / 1000);
  const counts0 = await requestCounts(procs);
  const profile = o.profileDir !== undefined && index === o.warmupRounds;
  if (profile) {
    mkdirSync(o.profileDir!, { recursive: true });
    for (const p of procs) p.child.stdin!.write('PROFILE START\n');
  }
  let cpu0 = 0;
  let broker0 = 0;
  let brokerThreads0: Record<string, number> = {};
  let t0 = 0n;
  await pushThrough(d, o, o.events, () => {
    cpu0 = appCpu();
    broker0 = cpuSecondsOr0(brokerPid);
    brokerThreads0 = threadCpu(brokerPid);
    t0 = process.hrtime.bigint();
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = appCpu() - cpu0;
  const brokerCpu = cpuSecondsOr0(brokerPid) - broker0;
  const brokerThreads = threadCpuDelta(brokerThreads0, threadCpu(brokerPid));
  const requests: Record<string, number> = {};
  const threads: Record<string, number> = {};
  const gc: Record<string, number> = {};
  for (const [api, n] of await requestCounts(procs)) {
    const delta = n - (counts0.get(api) ?? 0);
    if (api.startsWith('cpu ')) threads[api.slice(4)] = round2(delta);
    else if (api.startsWith('gc ')) gc[api.slice(3)] = delta;
    else if (delta > 0) requests[api] = round2((delta / o.events) * 1000);
  }
  if (profile) {
    for (let i = 0; i < procs.length; i++) {
      const file = join(o.profileDir!, `${target}-${processes}p-${cores}c-p${i}.cpuprofile`);
      await ask(procs[i]!, `PROFILE STOP ${file}`, 'PROFILED');
      progress(`${target}, ${processes} process(es): CPU profile of process ${i} in ${file}`);
    }
  }
  progress(
    `${target}, ${processes} process(es) on ${cores} core(s), ${warm ? 'warm-up round' : 'round'} ${(warm ? index : index - o.warmupRounds) + 1}: ${o.events} events in ${seconds.toFixed(2)} s (${Math.round(o.events / seconds)} events/s, ${((cpu + brokerCpu) / seconds).toFixed(2)} cores busy, app CPU ${cpu.toFixed(2)} s ` +
      `(by thread ${JSON.stringify(threads)}; GC ${JSON.stringify(gc)}), ${(idlePerSec * seconds).toFixed(2)} s of it idle overhead; ${target} CPU ${brokerCpu.toFixed(2)} s (by thread ${JSON.stringify(brokerThreads)})); requests per 1k events ${JSON.stringify(requests)}`,
  );
  return {
    seconds, cpu, idlePerSec, brokerCpu, requests, threads, brokerThreads,
    gc: { scavenges_per_1m_events: round((gc['scavenge']! / o.events) * 1e6), mark_compacts_per_1m_events: round((gc['mark-compact']! / o.events) * 1e6), pause_sec: round2(gc['pause-sec']!) },
  };
}

const round2 = (x: number): number => round(x, 2);
const roundSummary = (r: Round): RoundSummary => ({ seconds: round2(r.seconds), app_cpu_sec: round2(r.cpu), broker_cpu_sec: round2(r.brokerCpu) });

/**
 * The run's figures from its rounds: each the best round's (least CPU, least wall time: what the
 * configuration does when the machine's other load leaves it alone), then the latency phase.
 */
async function finishRun(d: Deployment, cores: number, warmups: Round[], rounds: Round[], o: Options): Promise<RunResult> {
  const byCpu = rounds.reduce((a, b) => (b.cpu < a.cpu ? b : a));
  const fastest = Math.min(...rounds.map((r) => r.seconds));
  progress(`${d.target}, ${d.processes} process(es) on ${cores} core(s): measuring latency`);
  await drain(d.admin, d.app, o, d.sent, d.procs);
  const latency = await measureLatency(d.admin, d.app, o, d.sent + o.partitions);
  progress(`${d.target}, ${d.processes} process(es) on ${cores} core(s): ${latency.windows} window results, p50 ${latency.p50_ms} ms, p99 ${latency.p99_ms} ms`);
  const busy = byCpu.cpu - byCpu.idlePerSec * byCpu.seconds;
  return {
    processes: d.processes,
    cores,
    events: o.events,
    warmup_rounds: warmups.map(roundSummary),
    rounds: rounds.map(roundSummary),
    seconds: round2(fastest),
    events_per_sec: round(o.events / fastest),
    app_cpu_sec: round2(byCpu.cpu),
    events_per_cpu_sec: byCpu.cpu > 0 ? round(o.events / byCpu.cpu) : 0,
    app_idle_cpu_per_sec: round(byCpu.idlePerSec, 3),
    events_per_busy_cpu_sec: busy > 0 ? round(o.events / busy) : null,
    broker_cpu_sec: round2(byCpu.brokerCpu),
    cores_used: round2((byCpu.cpu + byCpu.brokerCpu) / byCpu.seconds),
    requests_per_1k_events: byCpu.requests,
    app_cpu_sec_by_thread: byCpu.threads,
    broker_cpu_sec_by_thread: byCpu.brokerThreads,
    app_gc: byCpu.gc,
    latency,
  };
}

/** A count per key of the (keyed) input over `keys` distinct keys: one changelog record per key; no output. */
function buildRestoreApp(app: string): StreamsApp {
  const s = new StreamsApp({ applicationId: app, idleTimeout: '1h' });
  s.stream(inputTopic(app), { key: string(), value: keyAmountSerde })
    .groupByKey()
    .count({ name: 'counts' })
    .toStream()
    .filter(() => false)
    .to(outputTopic(app), { value: json() });
  return s;
}

async function restoreRun(bootstrap: string, target: TargetName, o: Options, dir: string): Promise<RestoreResult> {
  const app = `restore-${target}`;
  const connector = kafka({ brokers: bootstrap });
  const admin = await connector.connect();
  try {
    await admin.createTopics([{ name: inputTopic(app), partitions: o.partitions, config: { 'retention.ms': -1 } }]);
    progress(`${target} restore: writing the state of ${o.restoreKeys} keys`);
    const b0 = Date.now();
    await produce(admin, inputTopic(app), o.partitions, o.restoreKeys, o.restoreKeys, (i) => T0 + Math.floor(i / 100), { keyed: true });
    const stateDir = join(dir, app);
    const first = await buildRestoreApp(app).run({ log: connector, stateDir, until: 'end' });
    const buildSeconds = (Date.now() - b0) / 1000;
    progress(`${target} restore: state written in ${buildSeconds.toFixed(1)} s (${JSON.stringify(first.recordsIn)}); deleting local state, restarting`);
    rmSync(stateDir, { recursive: true, force: true });
    const cpu0 = process.cpuUsage();
    const second = await buildRestoreApp(app).run({ log: connector, stateDir, until: 'end' });
    const cpu = process.cpuUsage(cpu0);
    const cpuSec = (cpu.user + cpu.system) / 1e6;
    if (second.restoredRecords < o.restoreKeys) throw new Error(`restored ${second.restoredRecords} records, fewer than the ${o.restoreKeys} keys`);
    const keysPerSec = second.restoreMs > 0 ? round((o.restoreKeys / second.restoreMs) * 1000) : 0;
    const keysPerCpuSec = cpuSec > 0 ? round(o.restoreKeys / cpuSec) : 0;
    progress(`${target} restore: ${second.restoredRecords} records in ${second.restoreMs} ms (${keysPerSec} keys/s; the whole restarted run used ${cpuSec.toFixed(2)} CPU-s)`);
    return {
      keys: o.restoreKeys,
      restored_records: second.restoredRecords,
      restore_ms: second.restoreMs,
      keys_per_sec: keysPerSec,
      run_cpu_sec: round(cpuSec, 2),
      keys_per_cpu_sec: keysPerCpuSec,
      build_seconds: round(buildSeconds, 1),
    };
  } finally {
    await admin.close();
  }
}

async function benchTarget(target: TargetName, bootstrap: string, brokerPid: number, o: Options): Promise<TargetResult> {
  const dir = mkdtempSync(join(tmpdir(), `tributary-bench-scale-${target}-`));
  try {
    // Both configurations stay up and take turns, round after round, so that a burst of the
    // machine's other load hits both alike; each keeps its best round.
    const deployments: Deployment[] = [];
    const runs: RunResult[] = [];
    const all = cpus().length;
    try {
      for (const processes of [1, 2]) deployments.push(await deploy(bootstrap, target, processes, o, dir));
      const [one, two] = deployments as [Deployment, Deployment];
      // The 1-process deployment also runs on one core with its log: scaling out gives each
      // process its own core, so the 2-process run on two cores is compared with that one.
      const configs = [{ d: one, cores: all }, ...(all > 1 ? [{ d: one, cores: 1 }] : []), { d: two, cores: Math.min(2, all) }];
      // Pinned to the last `cores` CPUs (with the log) when that is fewer than the machine has.
      const onCores = async <T>(cores: number, d: Deployment, body: () => Promise<T>): Promise<T> => {
        const pids = [brokerPid, ...d.procs.map((p) => p.child.pid!)];
        if (cores < all) pinToCpus(pids, `${all - cores}-${all - 1}`);
        try {
          return await body();
        } finally {
          if (cores < all) pinToCpus(pids, `0-${all - 1}`);
        }
      };
      // Warm-up rounds first, measured the same way but not counted: the log's JIT (Kafka's JVM
      // compiles its per-request code for a minute or more: it is invoked a few hundred times a
      // round) and each process's are still compiling in the first rounds, which charged a
      // compiler's CPU to the events - most to the configuration that had the most cores for it.
      const warmups: Round[][] = configs.map(() => []);
      const rounds: Round[][] = configs.map(() => []);
      for (let r = 0; r < o.warmupRounds + o.rounds; r++) {
        for (let i = 0; i < configs.length; i++) {
          const { d, cores } = configs[i]!;
          const warm = r < o.warmupRounds;
          (warm ? warmups : rounds)[i]!.push(await onCores(cores, d, () => measureRound(d, cores, brokerPid, o, r, warm)));
        }
      }
      for (let i = 0; i < configs.length; i++) {
        const { d, cores } = configs[i]!;
        runs.push(await onCores(cores, d, () => finishRun(d, cores, warmups[i]!, rounds[i]!, o)));
      }
    } finally {
      await Promise.all(deployments.map(undeploy));
    }
    const one = runs.find((r) => r.processes === 1 && r.cores === all)!;
    const oneCore = runs.find((r) => r.processes === 1 && r.cores === 1);
    const two = runs.find((r) => r.processes === 2)!; // on 2 cores (every core of a 2-core machine)
    const ratio = (a: number, b: number): number | null => (b > 0 ? round(a / b, 2) : null);
    const restore = await restoreRun(bootstrap, target, o, dir);
    return { target, runs, scaling: {
        wall: ratio(two.events_per_sec, one.events_per_sec),
        per_cpu_sec: ratio(two.events_per_cpu_sec, one.events_per_cpu_sec),
        per_busy_cpu_sec: two.events_per_busy_cpu_sec !== null && one.events_per_busy_cpu_sec !== null ? ratio(two.events_per_busy_cpu_sec, one.events_per_busy_cpu_sec) : null,
        wall_ceiling: ratio((all * o.events) / (two.app_cpu_sec + two.broker_cpu_sec), one.events_per_sec),
        per_core: oneCore ? ratio(two.events_per_sec, oneCore.events_per_sec) : null,
        per_core_median: oneCore ? ratio(median(oneCore.rounds.map((r) => r.seconds)), median(two.rounds.map((r) => r.seconds))) : null,
      }, restore };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(args: string[]): Promise<void> {
  const o = parseArgs(args);
  const load = { before: loadavg().map((x) => round(x, 2)), after: [] as number[] };
  const results: TargetResult[] = [];
  for (const target of o.targets) {
    if (target === 'kafka') {
      const avail = kafkaAvailable();
      if (!avail.ok) {
        progress(`skipping real Kafka: ${avail.why}`);
        continue;
      }
      results.push(await withKafka('scale', progress, (b, pid) => benchTarget('kafka', b, pid, o)));
    } else results.push(await withTributaryBroker('scale', 1, (b, pid) => benchTarget('broker', b, pid, o)));
  }
  load.after = loadavg().map((x) => round(x, 2));
  const summary = {
    bench: 'scale',
    workload: `keyBy + ${WINDOW_MS / 1000} s tumbling count, exactly-once, scaleOut, ${o.partitions} partitions, ${o.keys} keys`,
    events: o.events,
    warmup_events: o.warmup,
    warmup_rounds: o.warmupRounds,
    app_node_flags: nodeFlags(o),
    rounds: o.rounds,
    machine: { cpus: cpus().length, loadavg_1_5_15_before: load.before, loadavg_1_5_15_after: load.after },
    targets_issue_5: { scaling: 1.7, restore_keys_per_sec: 500_000 },
    results,
  };
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'scale.json'), `${JSON.stringify(summary, null, 2)}\n`);
  if (o.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  for (const r of results) {
    for (const run of r.runs) {
      process.stdout.write(
        `${r.target.padEnd(6)} ${run.processes} process(es) on ${run.cores} core(s): ${run.events_per_sec} events/s (${run.events_per_cpu_sec} per app CPU-s, ${run.events_per_busy_cpu_sec} above idle; ${r.target} CPU ${run.broker_cpu_sec} s), ` +
          `window results p50 ${run.latency.p50_ms} ms p99 ${run.latency.p99_ms} ms\n`,
      );
    }
    process.stdout.write(`${r.target.padEnd(6)} scaling 2/1: ${r.scaling.per_core}x 2 processes on 2 cores over 1 on 1 (median rounds ${r.scaling.per_core_median}x); on every core ${r.scaling.wall}x wall (at most ${r.scaling.wall_ceiling}x), ${r.scaling.per_cpu_sec}x per CPU-s, ${r.scaling.per_busy_cpu_sec}x per busy CPU-s; restore ${r.restore.keys} keys in ${r.restore.restore_ms} ms (${r.restore.keys_per_sec} keys/s, ${r.restore.keys_per_cpu_sec} per CPU-s)\n`);
  }
  process.stdout.write(`load average before ${load.before.join(' ')}, after ${load.after.join(' ')} (${cpus().length} cores)\n`);
}
