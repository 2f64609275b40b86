/**
 * Restore speed of window state (issue 5: restore >= 500K keys/s):
 *
 *   npm run bench -- restore [--keys N] [--tail T] [--store memory,lmdb] [--rounds R] [--json]
 *
 * Prepared once (not timed): `--keys` events (default 1M), one per key in one 10 s tumbling window,
 * counted by an exactly-once app on the embedded log (its changelog then holds the state of every
 * key); a copy of its LMDB state with its local checkpoint; then `--tail` more events (default
 * 1,000, new keys), so the changelog has a tail after that checkpoint. Then, per round and store
 * kind, one child process each (a clean heap):
 * - full: no local state, every store restored from its changelog;
 * - tail (LMDB only): the copied state and checkpoint, only the changelog tail restored.
 * After the restore one event per partition opens the operators (behind LMDB's bounded cache they
 * bring the window timers' time index up to date; in memory they load every key).
 *
 * Reported per run: records restored, restore wall ms, keys/s, CPU seconds of the start (restore)
 * and of the operators' open, keys per CPU-second of both together. To compare two versions of the
 * code, alternate runs of each (docs/performance.md, "Round 2026-11-26: restore").
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { StreamsApp, embedded, float64, string, tumbling } from '../src/index.js';
import { LogManager, silentLogger } from '../src/log/index.js';
import { encodeRecordBatch } from '../src/records/record-batch.js';
import { partitionForKey } from '../src/records/partitioner.js';

const T0 = 1_700_000_000_000; // a multiple of 10 s: every event falls in the window [T0, T0 + 10 s)
const PARTITIONS = 4;

interface Options {
  keys: number;
  tail: number;
  stores: Array<'memory' | 'lmdb'>;
  rounds: number;
  json: boolean;
}

interface RunResult {
  store: 'memory' | 'lmdb';
  kind: 'full' | 'tail';
  restored_records: number;
  restore_ms: number;
  keys_per_sec: number;
  start_cpu_sec: number;
  open_cpu_sec: number;
  keys_per_cpu_sec: number;
}

function parseArgs(args: string[]): Options {
  const o: Options = { keys: 1_000_000, tail: 1_000, stores: ['memory', 'lmdb'], rounds: 3, json: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--keys') o.keys = Number(value());
    else if (a === '--tail') o.tail = Number(value());
    else if (a === '--store') o.stores = value().split(',') as Options['stores'];
    else if (a === '--rounds') o.rounds = Number(value());
    else if (a === '--json') o.json = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: npm run bench -- restore [--keys N] [--tail T] [--store memory,lmdb] [--rounds R] [--json]\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  for (const n of [o.keys, o.tail, o.rounds]) if (!Number.isInteger(n) || n < 1) throw new Error('--keys, --tail and --rounds must be positive integers');
  for (const s of o.stores) if (s !== 'memory' && s !== 'lmdb') throw new Error('--store: memory, lmdb or memory,lmdb');
  return o;
}

function progress(message: string): void {
  process.stderr.write(`[bench restore] ${message}\n`);
}

function build(): StreamsApp {
  const app = new StreamsApp({ applicationId: 'restore-bench', idleTimeout: '1h', maxOutOfOrderness: '5s' });
  app
    .stream('events', { key: string(), value: float64() })
    .groupByKey()
    .window(tumbling('10s'))
    .count({ name: 'counts' })
    .toStream()
    .to('out', { value: float64() });
  return app;
}

async function writeEvents(log: LogManager, prefix: string, n: number): Promise<void> {
  const per: Array<Array<{ key: Buffer; value: Buffer; timestamp: number }>> = Array.from({ length: PARTITIONS }, () => []);
  const v = Buffer.alloc(8);
  const flush = async (p: number) => {
    if (per[p]!.length === 0) return;
    await log.partition('events', p).append(encodeRecordBatch({ records: per[p]! }));
    per[p] = [];
  };
  for (let i = 0; i < n; i++) {
    const key = Buffer.from(`${prefix}${i}`);
    const p = partitionForKey(key, PARTITIONS);
    per[p]!.push({ key, value: v, timestamp: T0 + Math.floor((i / n) * 5_000) });
    if (per[p]!.length === 1000) await flush(p);
  }
  for (let p = 0; p < PARTITIONS; p++) await flush(p);
}

const recordsIn = (app: StreamsApp) => app.tasks.reduce((n, t) => n + t.metrics.recordsIn, 0);

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

async function prepare(dir: string, o: Options): Promise<void> {
  const log = await openLog(dir);
  try {
    await log.createTopic('events', { partitions: PARTITIONS, config: { 'retention.ms': -1 } });
    progress(`writing and processing ${o.keys} events`);
    await writeEvents(log, 'k', o.keys);
    await process_(log, join(dir, 'state'), o.keys);
    cpSync(join(dir, 'state'), join(dir, 'checkpointed'), { recursive: true });
    progress(`checkpointed state copied; processing ${o.tail} more events (the changelog tail)`);
    await writeEvents(log, 'tail', o.tail);
    await process_(log, join(dir, 'state'), o.tail);
  } finally {
    await log.close();
  }
}

async function child(dir: string, store: 'memory' | 'lmdb', kind: 'full' | 'tail', stateDir: string): Promise<RunResult> {
  const log = await openLog(dir);
  try {
    const app = build();
    const cpu0 = process.cpuUsage();
    await app.start({ log: embedded({ manager: log }), stateDir, stateStore: store });
    const cpu = process.cpuUsage(cpu0);
    // The operators open at their first record: one event per partition.
    const ocpu0 = process.cpuUsage();
    for (let p = 0; p < PARTITIONS; p++) {
      await log.partition('events', p).append(encodeRecordBatch({ records: [{ key: Buffer.from(`after-restore-${p}`), value: Buffer.alloc(8), timestamp: T0 }] }));
    }
    while (recordsIn(app) < PARTITIONS) await sleep(5);
    const ocpu = process.cpuUsage(ocpu0);
    const summary = (await app.close())!;
    const startCpu = (cpu.user + cpu.system) / 1e6;
    const openCpu = (ocpu.user + ocpu.system) / 1e6;
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
    };
  } finally {
    await log.close();
  }
}

export async function main(args: string[]): Promise<void> {
  if (args[0] === '--child') {
    const [, dir, store, kind, stateDir] = args as [string, string, 'memory' | 'lmdb', 'full' | 'tail', string];
    process.stdout.write(JSON.stringify(await child(dir, store, kind, stateDir)) + '\n');
    return;
  }
  const o = parseArgs(args);
  const dir = mkdtempSync(join(tmpdir(), 'tributary-restore-bench-'));
  const self = fileURLToPath(import.meta.url);
  const results: RunResult[] = [];
  try {
    await prepare(dir, o);
    for (let round = 0; round < o.rounds; round++) {
      for (const store of o.stores) {
        for (const kind of store === 'lmdb' ? (['full', 'tail'] as const) : (['full'] as const)) {
          {
            const stateDir = join(dir, 'run');
            rmSync(stateDir, { recursive: true, force: true });
            if (kind === 'tail') cpSync(join(dir, 'checkpointed'), stateDir, { recursive: true });
            const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', dir, store, kind, stateDir], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
            if (r.status !== 0) throw new Error(`restore ${store} ${kind} failed with status ${r.status}`);
            const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as RunResult;
            progress(JSON.stringify(res));
            results.push(res);
          }
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (o.json) {
    process.stdout.write(JSON.stringify({ bench: 'restore', machine: { cpus: cpus().length, node: process.version }, keys: o.keys, tail: o.tail, results }, null, 2) + '\n');
    return;
  }
  for (const r of results) {
    process.stdout.write(
      `${r.store} ${r.kind}: ${r.restored_records} records in ${r.restore_ms} ms, ${r.keys_per_sec} keys/s; ` +
        `CPU ${r.start_cpu_sec} s start + ${r.open_cpu_sec} s open, ${r.keys_per_cpu_sec} keys/CPU-s\n`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--child') await main(process.argv.slice(2));
