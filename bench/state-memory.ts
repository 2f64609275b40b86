/**
 * Window state memory and restore speed:
 *
 *   npm run bench -- state-memory [--keys N] [--store memory|lmdb] [--partitions P] [--cache-mb M] [--json]
 *
 * Issue 3's target: window state for 1M keys in <= 1 GB RSS; issue 5's: restore >= 500K keys/s.
 * Each store kind runs in its own child process (a clean heap and RSS):
 *
 * 1. `--keys` events (default 1M), one per key, all in one 10 s tumbling window, are written to a
 *    4-partition topic (not timed). The app (exactly-once, count per key and window) processes
 *    them all; the window does not close, so at the end every key has state. Reported: peak RSS
 *    while processing, the live JS heap at the end (after a GC), events/s and events per CPU-second.
 * 2. The local state is deleted and the app started again: every store is restored from its
 *    changelog (1M keys). Reported: keys/s restored and keys per CPU-second of restore.
 *
 * With LMDB the record cache in front of the stores is bounded (`--cache-mb`, default the
 * engine's 16 MiB per store), so the state lives on disk, not in the heap.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { embedded } from '../src/index.js';
import { LogManager, silentLogger } from '../src/log/index.js';
import { RssSampler } from './support/rss-sampler.js';
import { listOf, parseOptions, requirePositiveIntegers } from './support/args.js';
import { openOperators, windowCountApp, writeKeyEvents } from './support/window-count-app.js';
import { WindowAggregateOperator } from '../src/engine/operators/window-aggregate.js';

interface Options {
  keys: number;
  stores: Array<'memory' | 'lmdb'>;
  partitions: number;
  /** Cache bound per LMDB store (MiB); undefined: the engine's default. */
  cacheMb: number | undefined;
  json: boolean;
  child: boolean;
}

/** Where the memory was when RSS peaked (MB): what process.memoryUsage() and /proc/self/status say. */
interface MemoryAtPeak {
  /** Anonymous pages: the JS heap, malloc (LMDB's dirty pages of an open write transaction, Buffers), stacks. */
  rss_anon_mb: number;
  /** File pages mapped into the process: LMDB's memory map of its data files (clean, reclaimable), code. */
  rss_file_mb: number;
  heap_total_mb: number;
  heap_used_mb: number;
  /** Memory of C++ objects bound to JS (Buffers' backing stores included), outside the V8 heap. */
  external_mb: number;
  array_buffers_mb: number;
}

interface CaseResult {
  case: string;
  keys: number;
  peak_rss_mb: number;
  at_peak: MemoryAtPeak;
  /** Bytes of the LMDB data files at the end (MB): what its memory map can bring into RSS at most. */
  lmdb_files_mb: number;
  /** Window timers held in the heap at the end, over all tasks (0: they live in the stores' time index). */
  timers_in_memory: number;
  heap_used_mb: number;
  records_per_sec: number;
  events_per_core_sec: number;
  restored_records: number;
  restore_keys_per_sec: number;
  restore_keys_per_core_sec: number;
  /** CPU seconds from appending one event per partition after the restore until all were processed: the operators' open (in memory: every key loaded into the cache; behind LMDB the timer index is already derived by the restore). */
  open_after_restore_cpu_sec: number;
}

function parseArgs(args: string[]): Options {
  const o: Options = { keys: 1_000_000, stores: ['memory', 'lmdb'], partitions: 4, cacheMb: undefined, json: false, child: false };
  parseOptions(args, {
    '--keys': (v) => (o.keys = Number(v())),
    '--store': (v) => (o.stores = listOf('--store', v(), ['memory', 'lmdb'] as const)),
    '--partitions': (v) => (o.partitions = Number(v())),
    '--cache-mb': (v) => (o.cacheMb = Number(v())),
    '--json': () => (o.json = true),
    '--child': () => (o.child = true),
  });
  requirePositiveIntegers({ '--keys': o.keys, '--partitions': o.partitions });
  return o;
}

/** Samples RSS and its parts every 50 ms, keeping the sample with the highest RSS. */
class MemorySampler {
  private peak: MemoryAtPeak & { rss: number } = { rss: 0, rss_anon_mb: 0, rss_file_mb: 0, heap_total_mb: 0, heap_used_mb: 0, external_mb: 0, array_buffers_mb: 0 };
  private readonly timer = setInterval(() => this.sample(), 50);
  constructor() {
    this.timer.unref();
  }
  sample(): void {
    const m = process.memoryUsage();
    if (m.rss <= this.peak.rss) return;
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) / 1024;
    const mb = (b: number) => Math.round(b / (1024 * 1024));
    this.peak = {
      rss: m.rss,
      rss_anon_mb: Math.round(kb('RssAnon')),
      rss_file_mb: Math.round(kb('RssFile') + kb('RssShmem')),
      heap_total_mb: mb(m.heapTotal),
      heap_used_mb: mb(m.heapUsed),
      external_mb: mb(m.external),
      array_buffers_mb: mb(m.arrayBuffers),
    };
  }
  reset(): void {
    this.peak.rss = 0;
    this.sample();
  }
  atPeak(): MemoryAtPeak {
    this.sample();
    const { rss: _rss, ...rest } = this.peak;
    return rest;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

/** Bytes of the files under dir (MB). */
function dirMb(dir: string): number {
  let bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) bytes += statSync(join(e.parentPath ?? e.path, e.name)).size;
  }
  return Math.round(bytes / (1024 * 1024));
}

function progress(message: string): void {
  process.stderr.write(`[bench state-memory] ${message}\n`);
}

const build = () => windowCountApp('state-memory');

async function writeEvents(log: LogManager, n: number, partitions: number): Promise<void> {
  await log.createTopic('events', { partitions, config: { 'retention.ms': -1 } });
  await writeKeyEvents(log, 'k', n, partitions);
}

async function runCase(store: 'memory' | 'lmdb', o: Options): Promise<CaseResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-state-memory-'));
  const rss = new RssSampler();
  const memory = new MemorySampler();
  const log = await LogManager.open({ dataDir: join(dir, 'log'), logger: silentLogger, retentionCheckIntervalMs: 0, cleanerIntervalMs: 0 });
  try {
    progress(`${store}: writing ${o.keys} events`);
    await writeEvents(log, o.keys, o.partitions);
    const stateDir = join(dir, 'state');
    const runtime = {
      log: embedded({ manager: log }),
      stateDir,
      stateStore: store,
      ...(o.cacheMb !== undefined ? { stateCacheMaxBytes: o.cacheMb * 1024 * 1024 } : {}),
    };
    global.gc?.();
    rss.reset();
    memory.reset();
    progress(`${store}: processing`);
    const app = build();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await app.start(runtime);
    while (app.tasks.reduce((n, t) => n + t.metrics.recordsIn, 0) < o.keys) await sleep(20);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    // Live heap: after a full GC, so garbage not yet collected does not count.
    global.gc?.();
    const heapUsed = process.memoryUsage().heapUsed / (1024 * 1024);
    const peak = rss.peakMb();
    const atPeak = memory.atPeak();
    let timersInMemory = 0;
    for (const t of app.tasks) for (const op of t.operators) if (op instanceof WindowAggregateOperator) timersInMemory += op.timersInMemory;
    await app.close();
    const lmdbFiles = store === 'lmdb' ? dirMb(stateDir) : 0;
    progress(`${store}: ${o.keys} events in ${seconds.toFixed(1)} s, peak RSS ${peak.toFixed(0)} MB, heap ${heapUsed.toFixed(0)} MB; at the peak ${JSON.stringify(atPeak)}; ${timersInMemory} timers in memory`);

    rmSync(stateDir, { recursive: true, force: true });
    global.gc?.();
    progress(`${store}: restoring from the changelog`);
    const again = build();
    const rcpu0 = process.cpuUsage();
    await again.start(runtime);
    const rcpu = process.cpuUsage(rcpu0);
    // Window operators open at their first record: in memory they load every key into their cache
    // (behind LMDB the restore derived their timers' index already). One more event per partition, timed.
    const openCpuSec = await openOperators(log, o.partitions, again);
    progress(`${store}: first records after the restore (operators open): ${openCpuSec.toFixed(1)} CPU-s`);
    const summary = (await again.close())!;
    const restoreCpuSec = (rcpu.user + rcpu.system) / 1e6;
    progress(`${store}: restored ${summary.restoredRecords} records in ${summary.restoreMs} ms (${restoreCpuSec.toFixed(1)} CPU-s for the whole start)`);
    return {
      case: `tumbling window state, ${o.keys} keys (${store} store${store === 'lmdb' ? `, cache ${o.cacheMb ?? 16} MiB per store` : ''})`,
      keys: o.keys,
      peak_rss_mb: Math.round(peak),
      at_peak: atPeak,
      lmdb_files_mb: lmdbFiles,
      timers_in_memory: timersInMemory,
      heap_used_mb: Math.round(heapUsed),
      records_per_sec: Math.round(o.keys / seconds),
      events_per_core_sec: Math.round(o.keys / ((cpu.user + cpu.system) / 1e6)),
      restored_records: summary.restoredRecords,
      restore_keys_per_sec: Math.round(summary.restoredRecords / (Math.max(1, summary.restoreMs) / 1000)),
      restore_keys_per_core_sec: Math.round(summary.restoredRecords / restoreCpuSec),
      open_after_restore_cpu_sec: Math.round(openCpuSec * 10) / 10,
    };
  } finally {
    rss.stop();
    memory.stop();
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(args: string[]): Promise<void> {
  const o = parseArgs(args);
  if (o.child) {
    const r = await runCase(o.stores[0]!, o);
    process.stdout.write(JSON.stringify(r) + '\n');
    return;
  }
  const results: CaseResult[] = [];
  const self = fileURLToPath(import.meta.url);
  for (const store of o.stores) {
    const childArgs = ['--keys', String(o.keys), '--store', store, '--partitions', String(o.partitions), '--child'];
    if (o.cacheMb !== undefined) childArgs.push('--cache-mb', String(o.cacheMb));
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, ...childArgs], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 20 });
    if (r.status !== 0) throw new Error(`state-memory ${store} failed with status ${r.status}`);
    results.push(JSON.parse(r.stdout.trim().split('\n').pop()!) as CaseResult);
  }
  if (o.json) {
    process.stdout.write(JSON.stringify({ bench: 'state-memory', machine: { cpus: cpus().length, node: process.version }, results }, null, 2) + '\n');
    return;
  }
  for (const r of results) {
    process.stdout.write(
      `${r.case}: peak RSS ${r.peak_rss_mb} MB (heap ${r.heap_used_mb} MB), ${r.records_per_sec} events/s, ${r.events_per_core_sec} events/CPU-s; ` +
        `restore ${r.restored_records} records at ${r.restore_keys_per_sec} keys/s, ${r.restore_keys_per_core_sec} keys/CPU-s\n`,
    );
  }
}

// Run directly as a child (node bench/state-memory.ts --child ...): bench/run.ts calls main itself.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--child')) await main(process.argv.slice(2));
