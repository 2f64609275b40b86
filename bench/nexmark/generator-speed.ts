/**
 * How fast the Nexmark generator runs alone, on one core:
 *   npm run bench -- nexmark-generator [--events N] [--repeat R] [--threads T] [--json]
 *   (or node --import tsx bench/nexmark/generator-speed.ts with the same arguments)
 * Cases: `columns` (every number of every event into a reused EventColumns, strings made on
 * demand only: the generator's own work without writing text), `json` (the batch path: JSON bytes
 * into a reused JsonEventBatch, what the log pre-generation and the peers' inputs use) and
 * `objects` (plain typed objects, what an in-process source uses), and `json-parallel`: the same
 * JSON batches from a ParallelJsonGenerator on T worker threads (default: the machine's cores),
 * delivered in event order; its time includes starting the threads, its CPU time is the whole
 * process's (every thread). Every field of every event is
 * drawn in all three; `columns` writes no string characters. Prints the median of R runs by
 * wall-clock rate, and the median events per CPU-second of the process next to it (the figure to
 * compare on a loaded machine); with --json one object in the format of DESIGN.md
 * ("Machine-readable output").
 */
import { availableParallelism, cpus } from 'node:os';
import { EventColumns } from './event-columns.js';
import { NexmarkGenerator, JsonEventBatch } from './generator.js';
import type { NexmarkEvent } from './model.js';
import { ParallelJsonGenerator } from './parallel-generator.js';

interface Result {
  case: string;
  records_per_sec: number;
  mb_per_sec?: number;
  events_per_core_sec: number;
  threads?: number;
  /** json-parallel: time to the first batch (starting the threads), and the rates after it. */
  startup_ms?: number;
  steady_records_per_sec?: number;
  steady_events_per_core_sec?: number;
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function measure(name: string, events: number, body: (g: NexmarkGenerator) => number): Result {
  const g = new NexmarkGenerator({ numEvents: events });
  const t0 = process.hrtime.bigint();
  const c0 = cpuSeconds();
  const bytes = body(g);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSeconds() - c0;
  const r: Result = { case: name, records_per_sec: Math.round(events / secs), events_per_core_sec: Math.round(events / cpu) };
  if (bytes > 0) r.mb_per_sec = Math.round((bytes / secs / 1e6) * 10) / 10;
  return r;
}

function jsonCase(g: NexmarkGenerator): number {
  const batch = new JsonEventBatch(4096);
  let bytes = 0;
  while (g.fillJson(batch) > 0) bytes += batch.length;
  return bytes;
}

let sink = 0;
function columnsCase(g: NexmarkGenerator): number {
  const cols = new EventColumns(4096);
  while (g.fillColumns(cols) > 0) sink += cols.count + cols.dateTimes[cols.count - 1]!;
  return 0;
}

function objectCase(g: NexmarkGenerator): number {
  const out: NexmarkEvent[] = [];
  while (g.nextBatch(out, 1024) > 0) sink += out.length + out[out.length - 1]!.dateTime;
  return 0;
}

async function measureParallel(events: number, threads: number): Promise<Result> {
  const t0 = process.hrtime.bigint();
  const c0 = cpuSeconds();
  const gen = new ParallelJsonGenerator({ numEvents: events }, { threads });
  let bytes = 0;
  let first: { at: bigint; cpu: number; events: number } | undefined;
  try {
    for await (const batch of gen) {
      // Once the first batch is here the threads have started (loaded the code: ~0.4 CPU-s each under tsx).
      first ??= { at: process.hrtime.bigint(), cpu: cpuSeconds(), events: batch.count };
      bytes += batch.length;
    }
  } finally {
    await gen.close();
  }
  const end = process.hrtime.bigint();
  const secs = Number(end - t0) / 1e9;
  const cpu = cpuSeconds() - c0;
  const rest = events - first!.events;
  return {
    case: 'json-parallel',
    records_per_sec: Math.round(events / secs),
    mb_per_sec: Math.round((bytes / secs / 1e6) * 10) / 10,
    events_per_core_sec: Math.round(events / cpu),
    threads,
    startup_ms: Math.round(Number(first!.at - t0) / 1e6),
    steady_records_per_sec: Math.round(rest / (Number(end - first!.at) / 1e9)),
    steady_events_per_core_sec: Math.round(rest / (cpuSeconds() - first!.cpu)),
  };
}

/** The run with the median wall-clock rate, with the median events per CPU-second of all runs (on a loaded machine the two medians come from different runs). */
function median(rs: Result[]): Result {
  const mid = Math.floor(rs.length / 2);
  const byWall = [...rs].sort((a, b) => a.records_per_sec - b.records_per_sec);
  const byCpu = [...rs].sort((a, b) => a.events_per_core_sec - b.events_per_core_sec);
  return { ...byWall[mid]!, events_per_core_sec: byCpu[mid]!.events_per_core_sec };
}

export async function main(args: string[] = process.argv.slice(2)): Promise<void> {
  let events = 5_000_000;
  let repeat = 5;
  let json = false;
  let threads = availableParallelism();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') json = true;
    else if (a === '--events') events = Number(args[++i]);
    else if (a === '--repeat') repeat = Number(args[++i]);
    else if (a === '--threads') threads = Number(args[++i]);
    else throw new Error(`unknown argument ${a}`);
  }
  // Warm up both paths so that the measured runs are optimized code.
  measure('warm', 300_000, columnsCase);
  measure('warm', 300_000, jsonCase);
  measure('warm', 300_000, objectCase);
  const results: Result[] = [];
  for (const [name, body] of [
    ['columns', columnsCase],
    ['json', jsonCase],
    ['objects', objectCase],
  ] as const) {
    const runs: Result[] = [];
    for (let i = 0; i < repeat; i++) {
      const r = measure(name, events, body);
      runs.push(r);
      process.stderr.write(
        `${name} run ${i + 1}: ${(r.records_per_sec / 1e6).toFixed(2)}M events/s, ${(r.events_per_core_sec / 1e6).toFixed(2)}M events/CPU-s\n`,
      );
    }
    results.push(median(runs));
  }
  const runs: Result[] = [];
  for (let i = 0; i < repeat; i++) {
    const r = await measureParallel(events, threads);
    runs.push(r);
    process.stderr.write(
      `json-parallel (${threads} threads) run ${i + 1}: ${(r.records_per_sec / 1e6).toFixed(2)}M events/s, ${(r.events_per_core_sec / 1e6).toFixed(2)}M events/CPU-s; ` +
        `after ${r.startup_ms} ms of start-up: ${(r.steady_records_per_sec! / 1e6).toFixed(2)}M events/s, ${(r.steady_events_per_core_sec! / 1e6).toFixed(2)}M events/CPU-s\n`,
    );
  }
  results.push(median(runs));
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ bench: 'nexmark-generator', machine: { cpus: cpus().length, node: process.version }, results })}\n`,
    );
  } else {
    for (const r of results) {
      process.stdout.write(
        `${r.case.padEnd(13)} ${(r.records_per_sec / 1e6).toFixed(2)}M events/s  ${(r.events_per_core_sec / 1e6).toFixed(2)}M events/CPU-s${r.mb_per_sec ? `  ${r.mb_per_sec} MB/s` : ''}  (median of ${repeat} x ${events} events${r.threads ? `, ${r.threads} threads; without start-up ${(r.steady_records_per_sec! / 1e6).toFixed(2)}M events/s, ${(r.steady_events_per_core_sec! / 1e6).toFixed(2)}M events/CPU-s` : ''})\n`,
      );
    }
  }
  if (sink === 42) process.stderr.write('');
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
