/**
 * Restore speed of window state (issue 5: restore >= 500K keys/s):
 *
 *   npm run bench -- restore [--keys N] [--tail T] [--store memory,lmdb] [--kind full,tail] [--rounds R]
 *                            [--data DIR] [--profile DIR] [--json]
 *
 * Prepared once (not timed): `--keys` events (default 1M), one per key in one 10 s tumbling window,
 * counted by an exactly-once app on the embedded log (its changelog then holds the state of every
 * key); a copy of its LMDB state with its local checkpoint; then `--tail` more events (default
 * 1,000, new keys), so the changelog has a tail after that checkpoint. With `--data DIR` that is
 * kept in DIR and reused by later runs with the same --keys and --tail (to compare two versions of
 * the code on the same changelog). Then, per round and store kind, one child process each (a clean heap):
 * - full: no local state, every store restored from its changelog;
 * - tail (LMDB only): the copied state and checkpoint, only the changelog tail restored.
 * After the restore one event per partition opens the operators (behind LMDB's bounded cache they
 * bring the window timers' time index up to date; in memory they load every key).
 *
 * Reported per run: records restored, restore wall ms, keys/s, CPU seconds of the start (restore)
 * and of the operators' open, keys per CPU-second of both together, and keys/s of the start and
 * open together (wall). `--profile DIR` writes each child's V8 CPU profile to DIR. To compare two
 * versions of the code, alternate runs of each (docs/performance.md, "Round 2026-11-26: restore").
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { embedded } from '../src/index.js';
import { LogManager, silentLogger } from '../src/log/index.js';
import { listOf, parseOptions, requirePositiveIntegers } from './support/args.js';
import { openOperators, windowCountApp, writeKeyEvents } from './support/window-count-app.js';

const PARTITIONS = 4;
const USAGE =
  'usage: npm run bench -- restore [--keys N] [--tail T] [--store memory,lmdb] [--kind full,tail] [--rounds R] [--data DIR] [--profile DIR] [--json]\n';

type Store = 'memory' | 'lmdb';
type Kind = 'full' | 'tail';

interface Options {
  keys: number;
  tail: number;
  stores: Store[];
  kinds: Kind[];
  rounds: number;
  data: string | undefined;
  profile: string | undefined;
  json: boolean;
}

interface RunResult {
  store: Store;
  kind: Kind;
  restored_records: number;
  restore_ms: number;
  keys_per_sec: number;
  start_cpu_sec: number;
  open_cpu_sec: number;
  keys_per_cpu_sec: number;
  /** Wall ms from the start's call until the operators opened (restore, open and what is around them). */
  start_and_open_ms: number;
  /** CPU seconds of the main thread alone during the start (Linux; null elsewhere): the rest ran on other threads (LMDB's writer, GC, libuv). */
  start_main_thread_cpu_sec: number | null;
}

/** CPU seconds the main thread has used (from /proc; null where there is none). */
function mainThreadCpu(): number | null {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return null;
  }
}

function parseArgs(args: string[]): Options {
  const o: Options = { keys: 1_000_000, tail: 1_000, stores: ['memory', 'lmdb'], kinds: ['full', 'tail'], rounds: 3, data: undefined, profile: undefined, json: false };
  parseOptions(args, {
    '--keys': (v) => (o.keys = Number(v())),
    '--tail': (v) => (o.tail = Number(v())),
    '--store': (v) => (o.stores = listOf('--store', v(), ['memory', 'lmdb'] as const)),
    '--kind': (v) => (o.kinds = listOf('--kind', v(), ['full', 'tail'] as const)),
    '--rounds': (v) => (o.rounds = Number(v())),
    '--data': (v) => (o.data = resolve(v())),
    '--profile': (v) => (o.profile = resolve(v())),
    '--json': () => (o.json = true),
    '--help': () => {
      process.stdout.write(USAGE);
      process.exit(0);
    },
  });
  requirePositiveIntegers({ '--keys': o.keys, '--tail': o.tail, '--rounds': o.rounds });
  return o;
}

function progress(message: string): void {
  process.stderr.write(`[bench restore] ${message}\n`);
}

const build = () => windowCountApp('restore-bench');
const recordsIn = (app: ReturnType<typeof build>) => app.tasks.reduce((n, t) => n + t.metrics.recordsIn, 0);

async function openLog(dir: string): Promise<LogManager> {
  return LogManager.open({ dataDir: join(dir, 'log'), logger: silentLogger, retentionCheckIntervalMs: 0, cleanerIntervalMs: 0 });
}

/** Runs the app over what is in the log until it has read `n` records, then closes it. */
async function process_(log: LogManager, stateDir: string, n: number): Promise<void> {
  const app = build();
  await app.start({ log: embedded({ manager: log }), stateDir, stateStore: 'lmdb' });
  while (recordsIn(app) < n) await sleep(20);
  await app.close();
}

/** Prepares `dir` (see the file's doc), unless it holds a preparation with the same keys and tail. */
async function prepare(dir: string, o: Options): Promise<void> {
  const marker = join(dir, 'prepared.json');
  const what = JSON.stringify({ keys: o.keys, tail: o.tail, partitions: PARTITIONS });
  if (existsSync(marker) && readFileSync(marker, 'utf8') === what) {
    progress(`reusing the prepared changelog in ${dir}`);
    return;
  }
  for (const d of ['log', 'state', 'checkpointed', 'run', 'prepared.json']) rmSync(join(dir, d), { recursive: true, force: true });
  const log = await openLog(dir);
  try {
    await log.createTopic('events', { partitions: PARTITIONS, config: { 'retention.ms': -1 } });
    progress(`writing and processing ${o.keys} events`);
    await writeKeyEvents(log, 'k', o.keys, PARTITIONS);
    await process_(log, join(dir, 'state'), o.keys);
    cpSync(join(dir, 'state'), join(dir, 'checkpointed'), { recursive: true });
    progress(`checkpointed state copied; processing ${o.tail} more events (the changelog tail)`);
    await writeKeyEvents(log, 'tail', o.tail, PARTITIONS);
    await process_(log, join(dir, 'state'), o.tail);
  } finally {
    await log.close();
  }
  writeFileSync(marker, what);
}

async function child(dir: string, store: Store, kind: Kind, stateDir: string): Promise<RunResult> {
  const log = await openLog(dir);
  try {
    const app = build();
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const main0 = mainThreadCpu();
    await app.start({ log: embedded({ manager: log }), stateDir, stateStore: store });
    const cpu = process.cpuUsage(cpu0);
    const main1 = mainThreadCpu();
    const openCpu = await openOperators(log, PARTITIONS, app);
    const startAndOpenMs = performance.now() - t0;
    const summary = (await app.close())!;
    const startCpu = (cpu.user + cpu.system) / 1e6;
    const restored = summary.restoredRecords;
    return {
      store,
      kind,
      restored_records: restored,
      restore_ms: summary.restoreMs,
      keys_per_sec: Math.round(restored / (Math.max(1, summary.restoreMs) / 1000)),
      start_cpu_sec: Math.round(startCpu * 1000) / 1000,
      open_cpu_sec: Math.round(openCpu * 1000) / 1000,
      keys_per_cpu_sec: Math.round(restored / (startCpu + openCpu)),
      start_and_open_ms: Math.round(startAndOpenMs),
      start_main_thread_cpu_sec: main0 === null || main1 === null ? null : Math.round((main1 - main0) * 100) / 100,
    };
  } finally {
    await log.close();
  }
}

export async function main(args: string[]): Promise<void> {
  if (args[0] === '--child') {
    const [, dir, store, kind, stateDir] = args as [string, string, Store, Kind, string];
    process.stdout.write(JSON.stringify(await child(dir, store, kind, stateDir)) + '\n');
    return;
  }
  const o = parseArgs(args);
  const dir = o.data ?? mkdtempSync(join(tmpdir(), 'tributary-restore-bench-'));
  mkdirSync(dir, { recursive: true });
  const self = fileURLToPath(import.meta.url);
  const results: RunResult[] = [];
  try {
    await prepare(dir, o);
    for (let round = 0; round < o.rounds; round++) {
      for (const store of o.stores) {
        for (const kind of o.kinds) {
          if (kind === 'tail' && store !== 'lmdb') continue; // in memory every restore is full
          const stateDir = join(dir, 'run');
          rmSync(stateDir, { recursive: true, force: true });
          if (kind === 'tail') cpSync(join(dir, 'checkpointed'), stateDir, { recursive: true });
          const profile = o.profile ? ['--cpu-prof', '--cpu-prof-dir', o.profile, '--cpu-prof-name', `restore-${store}-${kind}-${round}.cpuprofile`] : [];
          const r = spawnSync(process.execPath, [...profile, '--import', 'tsx', self, '--child', dir, store, kind, stateDir], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
          if (r.status !== 0) throw new Error(`restore ${store} ${kind} failed with status ${r.status}`);
          const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as RunResult;
          progress(JSON.stringify(res));
          results.push(res);
        }
      }
    }
  } finally {
    if (o.data) rmSync(join(dir, 'run'), { recursive: true, force: true });
    else rmSync(dir, { recursive: true, force: true });
  }
  if (o.json) {
    process.stdout.write(JSON.stringify({ bench: 'restore', machine: { cpus: cpus().length, node: process.version }, keys: o.keys, tail: o.tail, results }, null, 2) + '\n');
    return;
  }
  for (const r of results) {
    process.stdout.write(
      `${r.store} ${r.kind}: ${r.restored_records} records in ${r.restore_ms} ms, ${r.keys_per_sec} keys/s; ` +
        `CPU ${r.start_cpu_sec} s start (main thread ${r.start_main_thread_cpu_sec ?? '?'} s) + ${r.open_cpu_sec} s open, ${r.keys_per_cpu_sec} keys/CPU-s; ` +
        `start + open ${r.start_and_open_ms} ms wall\n`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--child') await main(process.argv.slice(2));
