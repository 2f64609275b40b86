/**
 * Engine throughput on the embedded log, exactly-once on, one process:
 *
 *   npm run bench -- engine [--events N] [--json] [--case a|b|c|d|e] [--dir PATH] [--partitions P] [--keys K] [--store memory|lmdb] [--repartition memory|log]
 *                           [--threads T] [--profile DIR]
 *
 * (a) 'stateless filter+map', (b) 'tumbling count' (keyBy + 10 s tumbling count over 100K keys, `--keys`),
 * (c) 'hopping count' (keyBy + 10 s / 2 s hopping count), (d) 'windowed join' (two streams of
 * N/2 events each, joined within 5 s): the events are written to the log first (not timed), then
 * a bounded run (`app.run({ until: 'end' })`) processes them to the end, timed: records/s = input
 * events / seconds, peak RSS sampled during the run. End-to-end latency is not meaningful for
 * pre-written input; (e) measures it: filter+map fed at 50K events/s for 10 s, exactly-once
 * (100 ms commits) and at-least-once, p50/p99 from append to read_committed visibility.
 *
 * Events: 8-byte values (uint32 key id, uint32 amount), string keys after keyBy, event time =
 * record timestamp, 100K events per second of event time. Each case runs in its own child
 * process (clean heap and RSS) and its own temporary data directory. `--store` picks the task
 * state stores: the engine's in-memory store (default) or LMDB on disk. `--profile DIR` writes a
 * CPU profile of each case's timed run only (not the writing of the events) to DIR/<case>.cpuprofile.
 * `--repartition log` runs (b) and (c) with `localRepartition: false`: keyBy's records go through
 * the repartition topic as in a scaled-out application (the runtime's default; `memory` sets `localRepartition: true`).
 *
 * `--threads T` (default: the machine's cores, `os.availableParallelism()`): (a)-(d) run on T
 * threads of the one process (runThreads, Kafka Streams' num.stream.threads; the application is
 * bench/support/engine-app.ts, the log stays in the main thread); the timed run includes starting
 * the threads. `--threads 1` runs the application in the process's own thread, as before. The
 * results say `threads` when more than one. (e) runs in one thread. A profile (`--profile`)
 * covers the main thread only: profile with `--threads 1`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StreamsApp, embedded, float64, runThreads } from '../src/index.js';
import engineApp from './support/engine-app.js';
import { LogManager, silentLogger } from '../src/log/index.js';
import { encodeRecordBatch } from '../src/records/record-batch.js';
import { visitRecords } from '../src/connectors/index.js';
import { RssSampler } from './support/rss-sampler.js';
import { keyAmountSerde } from './support/key-amount.js';

interface Options {
  store: 'memory' | 'lmdb';
  events: number;
  json: boolean;
  cases: string[];
  dir: string | undefined;
  partitions: number;
  /** Distinct keys of cases b and c (window state size). */
  keys: number;
  child: boolean;
  /** Threads the throughput cases run on (runThreads; 1: the application in the process's own thread). */
  threads: number;
  /** Directory for CPU profiles of the timed runs. */
  profile: string | undefined;
  /** How keyBy's repartition goes in this one process (RuntimeOptions.localRepartition). */
  repartition: 'memory' | 'log';
}

interface CaseResult {
  case: string;
  records_per_sec: number;
  events_per_core_sec?: number;
  p50_ms?: number;
  p99_ms?: number;
  peak_rss_mb: number;
  /** Threads the case ran on (runThreads), when more than one. */
  threads?: number;
}

const T0 = 1_700_000_000_000;
const KEYS = 100_000;
const NAMES: Record<string, string> = {
  a: 'stateless filter+map',
  b: 'tumbling count',
  c: 'hopping count',
  d: 'windowed join',
  e: 'filter+map latency at 50K events/s',
};

function parseArgs(args: string[]): Options {
  const o: Options = { store: 'memory', events: 10_000_000, json: false, cases: ['a', 'b', 'c', 'd', 'e'], dir: undefined, partitions: 4, keys: 100_000, child: false, profile: undefined, repartition: 'log', threads: availableParallelism() };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--events') o.events = Number(value());
    else if (a === '--json') o.json = true;
    else if (a === '--case') o.cases = value().split(',');
    else if (a === '--dir') o.dir = value();
    else if (a === '--partitions') o.partitions = Number(value());
    else if (a === '--keys') o.keys = Number(value());
    else if (a === '--child') o.child = true;
    else if (a === '--store') o.store = value() as Options['store'];
    else if (a === '--profile') o.profile = value();
    else if (a === '--threads') o.threads = Number(value());
    else if (a === '--repartition') o.repartition = value() as Options['repartition'];
    else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(o.events) || o.events < 1) throw new Error('--events must be a positive integer');
  if (!Number.isInteger(o.keys) || o.keys < 1) throw new Error('--keys must be a positive integer');
  if (!Number.isInteger(o.threads) || o.threads < 1) throw new Error('--threads must be a positive integer');
  if (o.repartition === 'memory' && o.threads > 1) throw new Error('--repartition memory exchanges records inside one thread: add --threads 1');
  for (const c of o.cases) if (!NAMES[c]) throw new Error(`unknown case ${c} (a, b, c, d, e)`);
  if (!['memory', 'lmdb'].includes(o.store)) throw new Error('--store: memory or lmdb');
  if (!['memory', 'log'].includes(o.repartition)) throw new Error('--repartition: memory or log');
  return o;
}

function progress(message: string): void {
  process.stderr.write(`[bench engine] ${message}\n`);
}


function hash(i: number, salt: number): number {
  let h = Math.imul(i ^ salt, 0x9e3779b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca77);
  h ^= h >>> 13;
  return h >>> 0;
}

/** Writes `n` events round-robin over the partitions (null keys), batches of 1,000. */
async function writeEvents(
  log: LogManager,
  topic: string,
  n: number,
  partitions: number,
  make: (i: number) => { key: Buffer | null; value: Buffer; timestamp: number },
): Promise<void> {
  await log.createTopic(topic, { partitions, config: { 'retention.ms': -1 } });
  const per: Array<Array<{ key: Buffer | null; value: Buffer; timestamp: number }>> = Array.from({ length: partitions }, () => []);
  const flush = async (p: number): Promise<void> => {
    await log.partition(topic, p).append(encodeRecordBatch({ records: per[p]! }));
    per[p] = [];
  };
  for (let i = 0; i < n; i++) {
    const p = i % partitions;
    per[p]!.push(make(i));
    if (per[p]!.length === 1000) await flush(p);
  }
  for (let p = 0; p < partitions; p++) if (per[p]!.length > 0) await flush(p);
}

function value(k: number, a: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeUInt32BE(k, 0);
  b.writeUInt32BE(a, 4);
  return b;
}

/** Counts the records of an output topic (read_committed). */
function countOutput(log: LogManager, topic: string): number {
  if (!log.hasTopic(topic)) return 0;
  let n = 0;
  for (let p = 0; p < log.partitionCount(topic); p++) {
    const pl = log.partition(topic, p);
    let offset = pl.logStartOffset;
    for (;;) {
      const r = pl.read(offset, { maxBytes: 8 * 1024 * 1024, isolation: 'read_committed' });
      if (r.records.length === 0) break;
      const f = { topic, partition: p, fetchOffset: offset, records: r.records, abortedTransactions: r.abortedTransactions, nextOffset: 0, highWatermark: 0, lastStableOffset: 0 };
      offset = visitRecords(f, () => void n++);
    }
  }
  return n;
}

async function throughputCase(id: string, o: Options, dir: string, rss: RssSampler): Promise<CaseResult> {
  const log = await LogManager.open({ dataDir: join(dir, 'log'), logger: silentLogger, retentionCheckIntervalMs: 0, cleanerIntervalMs: 0 });
  const n = o.events;
  const P = o.partitions;
  let output = 'out';
  progress(`${NAMES[id]}: writing ${n} events`);
  if (id === 'd') {
    const half = Math.floor(n / 2);
    // Orders and payments keyed by order id (co-partitioned by Kafka's partitioner on both sides).
    const key = (i: number) => Buffer.from(`o${i}`);
    await log.createTopic('orders', { partitions: P, config: { 'retention.ms': -1 } });
    await log.createTopic('payments', { partitions: P, config: { 'retention.ms': -1 } });
    const { partitionForKey } = await import('../src/records/partitioner.js');
    for (const [topic, lag] of [
      ['orders', 0],
      ['payments', 1],
    ] as const) {
      const per: Array<Array<{ key: Buffer; value: Buffer; timestamp: number }>> = Array.from({ length: P }, () => []);
      for (let i = 0; i < half; i++) {
        const k = key(i);
        const p = partitionForKey(k, P);
        per[p]!.push({ key: k, value: value(i % KEYS, hash(i, 7) % 1000), timestamp: T0 + Math.floor(i / 50) + lag * (hash(i, 3) % 3000) });
        if (per[p]!.length === 1000) {
          await log.partition(topic, p).append(encodeRecordBatch({ records: per[p]! }));
          per[p] = [];
        }
      }
      for (let p = 0; p < P; p++) if (per[p]!.length > 0) await log.partition(topic, p).append(encodeRecordBatch({ records: per[p]! }));
    }
  } else {
    await writeEvents(log, 'events', n, P, (i) => ({ key: null, value: value(hash(i, 1) % o.keys, hash(i, 2) % 1000), timestamp: T0 + Math.floor(i / 100) }));
  }
  progress(`${NAMES[id]}: processing (exactly-once, bounded run)`);
  const profiler = o.profile === undefined ? undefined : await startProfile();
  rss.reset();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const stateStore = o.store;
  const localRepartition = o.repartition === 'memory';
  const conn = embedded({ manager: log });
  const stateDir = join(dir, 'state');
  const summary =
    o.threads > 1
      ? await runThreads(new URL('./support/engine-app.ts', import.meta.url), { threads: o.threads, log: conn, until: 'end', stateDir, stateStore, args: [id] })
      : await engineApp({ log: conn, dataDir: log.dataDir, durationMs: undefined, signal: new AbortController().signal, args: [id] }).run({ until: 'end', log: conn, stateDir, stateStore, localRepartition });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  if (profiler) await profiler.stop(join(o.profile!, `${id}.cpuprofile`));
  const peak = Math.round(rss.peakMb());
  const outputs = countOutput(log, output);
  output = '';
  progress(`${NAMES[id]}: ${n} events in ${seconds.toFixed(2)} s, ${outputs} outputs, ${summary.commits} commits, late ${summary.lateRecords}`);
  await log.close();
  return {
    case: `${NAMES[id]!}${o.store === 'memory' ? '' : ` (${o.store} store)`}${o.repartition === 'memory' && (id === 'b' || id === 'c') ? ' (repartition in memory)' : ''}`,
    records_per_sec: Math.round(n / seconds),
    events_per_core_sec: Math.round(n / ((cpu.user + cpu.system) / 1e6)),
    peak_rss_mb: peak,
    ...(o.threads > 1 ? { threads: o.threads } : {}),
  };
}

/** A CPU profile of this process from now until `stop` (the inspector's sampling profiler, as `node --cpu-prof`). */
async function startProfile(): Promise<{ stop(file: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) => session.post(method, params ?? {}, (e, r) => (e ? reject(e) : resolve(r))));
  await post('Profiler.enable');
  await post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      session.disconnect();
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(profile));
      progress(`profile written to ${file}`);
    },
  };
}

/** (e): filter+map fed at 50K events/s; latency from append to read_committed visibility. */
async function latencyCase(guarantee: 'exactly-once' | 'at-least-once', dir: string, rss: RssSampler, o: Options): Promise<CaseResult> {
  const log = await LogManager.open({ dataDir: join(dir, `log-${guarantee}`), logger: silentLogger, retentionCheckIntervalMs: 0, cleanerIntervalMs: 0 });
  const P = o.partitions;
  await log.createTopic('events', { partitions: P });
  const app = new StreamsApp({ applicationId: `lat-${guarantee}` });
  app
    .stream('events', { value: keyAmountSerde })
    .filter((e) => e.a % 10 !== 0)
    .mapValues((e) => e.a * 2)
    .to('out', { value: float64() });
  const conn = embedded({ manager: log });
  rss.reset();
  await app.start({ log: conn, stateDir: join(dir, `state-${guarantee}`), processingGuarantee: guarantee });
  const reader = (await conn.connect()).consumer({ isolation: 'read_committed' });
  reader.assign([{ topic: 'out', partition: 0, offset: 0 }]);
  const latencies: number[] = [];
  let stop = false;
  const reading = (async () => {
    while (!stop) {
      const fetched = await reader.fetch(50);
      const now = Date.now();
      for (const f of fetched) visitRecords(f, (_o, ts) => void latencies.push(now - ts));
    }
  })();
  const rate = 50_000;
  const seconds = 10;
  const tick = 5;
  let sent = 0;
  const start = Date.now();
  while (Date.now() - start < seconds * 1000) {
    const due = Math.floor(((Date.now() - start) / 1000) * rate);
    const per: Array<Array<{ key: null; value: Buffer; timestamp: number }>> = Array.from({ length: P }, () => []);
    const now = Date.now();
    for (; sent < due; sent++) per[sent % P]!.push({ key: null, value: value(sent % KEYS, hash(sent, 2) % 1000), timestamp: now });
    for (let p = 0; p < P; p++) if (per[p]!.length > 0) await log.partition('events', p).append(encodeRecordBatch({ records: per[p]! }));
    await new Promise((r) => setTimeout(r, tick));
  }
  await new Promise((r) => setTimeout(r, 500));
  stop = true;
  reader.wakeup();
  await reading;
  await app.close();
  const peak = Math.round(rss.peakMb());
  await log.close();
  latencies.sort((a, b) => a - b);
  const pct = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  progress(`latency ${guarantee}: ${sent} events sent, ${latencies.length} outputs read, p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms`);
  return {
    case: `${NAMES.e} (${guarantee}${guarantee === 'exactly-once' ? ', 100 ms commits' : ''})`,
    records_per_sec: Math.round(sent / seconds),
    p50_ms: pct(0.5),
    p99_ms: pct(0.99),
    peak_rss_mb: peak,
  };
}

async function runChild(o: Options): Promise<void> {
  const id = o.cases[0]!;
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'tributary-bench-engine-'));
  const rss = new RssSampler();
  try {
    const results: CaseResult[] =
      id === 'e' ? [await latencyCase('exactly-once', dir, rss, o), await latencyCase('at-least-once', dir, rss, o)] : [await throughputCase(id, o, dir, rss)];
    process.stdout.write(JSON.stringify(results) + '\n');
  } finally {
    if (!o.dir) rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(args: string[]): Promise<void> {
  const o = parseArgs(args);
  if (o.child) return runChild(o);
  const results: CaseResult[] = [];
  const self = fileURLToPath(import.meta.url);
  for (const id of o.cases) {
    const childArgs = ['--import', 'tsx', self, '--child', '--case', id, '--events', String(o.events), '--partitions', String(o.partitions), '--keys', String(o.keys), '--store', o.store, '--repartition', o.repartition, '--threads', String(o.threads)];
    if (o.profile) childArgs.push('--profile', resolve(o.profile));
    if (o.dir) childArgs.push('--dir', join(o.dir, id));
    const r = spawnSync(process.execPath, childArgs, { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`case ${id} failed (exit ${r.status})`);
    const lines = r.stdout.toString().trim().split('\n');
    results.push(...(JSON.parse(lines[lines.length - 1]!) as CaseResult[]));
  }
  const out = { bench: 'engine', machine: { cpus: cpus().length, node: process.version }, results };
  if (o.json) process.stdout.write(JSON.stringify(out) + '\n');
  else {
    for (const r of results) {
      const lat = r.p50_ms !== undefined ? `  p50 ${r.p50_ms} ms  p99 ${r.p99_ms} ms` : '';
      process.stdout.write(`${r.case.padEnd(58)} ${String(r.records_per_sec).padStart(10)} events/s${lat}  peak RSS ${r.peak_rss_mb} MB\n`);
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--child')) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
