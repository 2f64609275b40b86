/**
 * Runs Nexmark queries, each in a child process (child.ts), shows progress, and saves the results:
 * bench/results/nexmark.json (the latest run, what the README's table and chart come from) and
 * bench/results/nexmark.svg (the chart).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import cliProgress from 'cli-progress';
import { barChartSvg } from './chart.js';
import { QUERIES } from './queries/index.js';
import type { NexmarkRepartition, NexmarkResult, NexmarkSink, NexmarkSource } from './runner.js';

const here = dirname(fileURLToPath(import.meta.url));
export const RESULTS_DIR = join(here, '..', 'results');

export interface SuiteOptions {
  readonly queries: readonly string[];
  readonly events: number;
  readonly source: NexmarkSource;
  readonly rate?: number;
  readonly partitions?: number;
  /** Repartitions in memory (default: one process, as Flink's parallelism-1 run) or through the log. */
  readonly repartition?: NexmarkRepartition;
  /** Where the rows go: 'log' (default: JSON to the output topic) or 'blackhole' (a counting forEach). */
  readonly sink?: NexmarkSink;
  /** Bootstrap servers of a Kafka cluster to run on instead of the embedded log. */
  readonly kafka?: string;
  /** Show a progress bar (on a TTY). */
  readonly progress: boolean;
  /** Write bench/results/nexmark.{json,svg}. */
  readonly save: boolean;
}

export class NexmarkQueryFailed extends Error {
  readonly code = 'NEXMARK_QUERY_FAILED';
}

export function expandQueries(spec: string): string[] {
  if (spec === 'all') return QUERIES.map((q) => q.name);
  const names = spec.split(',').map((s) => s.trim());
  for (const n of names) if (!QUERIES.some((q) => q.name === n)) throw new NexmarkQueryFailed(`unknown query ${n}; one of: all, ${QUERIES.map((q) => q.name).join(', ')}`);
  return names;
}

function runChild(query: string, o: SuiteOptions, onProgress: (done: number, total: number, phase: string) => void): Promise<NexmarkResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'child.ts'), query, String(o.events), o.source, String(o.rate ?? 0), String(o.partitions ?? 1), o.repartition ?? 'memory', '--sink', o.sink ?? 'log', ...(o.kafka === undefined ? [] : ['--kafka', o.kafka])], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let pending = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      pending += d.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const m = /^progress (\w+) (\d+) (\d+)$/.exec(line);
        if (m) onProgress(Number(m[2]), Number(m[3]), m[1]!);
        else err += line + '\n';
      }
    });
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').at(-1)!) as NexmarkResult);
      else reject(new NexmarkQueryFailed(`${query} failed (exit ${code}): ${err.trim().split('\n').slice(-5).join(' | ')}`));
    });
  });
}

export async function runSuite(o: SuiteOptions): Promise<NexmarkResult[]> {
  const bar = o.progress
    ? new cliProgress.SingleBar({ format: '{query} {phase} [{bar}] {percentage}% | {value}/{total} events', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic)
    : undefined;
  const results: NexmarkResult[] = [];
  for (const q of o.queries) {
    bar?.start(o.events, 0, { query: q, phase: 'starting' });
    const r = await runChild(q, o, (done, total, phase) => bar?.update(Math.min(done, total), { query: q, phase }));
    bar?.update(o.events, { phase: 'done' });
    bar?.stop();
    if (!o.progress) process.stderr.write(`[nexmark] ${q}: ${r.events_per_sec} events/s, ${r.events_per_core_sec} events/core-s, ${r.outputs} outputs\n`);
    results.push(r);
  }
  if (o.save) saveResults(results, o);
  return results;
}

export function saveResults(results: readonly NexmarkResult[], o: Pick<SuiteOptions, 'events' | 'source' | 'repartition' | 'sink' | 'kafka'>): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const doc = {
    bench: 'nexmark',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
    events: o.events,
    source: o.source,
    repartition: o.repartition ?? 'memory',
    sink: o.sink ?? 'log',
    log: o.kafka === undefined ? 'embedded' : 'kafka',
    results,
  };
  writeFileSync(join(RESULTS_DIR, 'nexmark.json'), JSON.stringify(doc, null, 2) + '\n');
  const svg = barChartSvg(
    `Nexmark on Tributary: ${o.events.toLocaleString('en-US')} events, ${o.kafka === undefined ? 'embedded log' : 'Kafka'}, source ${o.source}, repartition ${o.repartition ?? 'memory'}, sink ${o.sink ?? 'log'}, exactly-once, 1 partition`,
    results.map((r) => r.query),
    [{ name: 'Tributary', color: '#2b7bb9', values: new Map(results.map((r) => [r.query, r.events_per_core_sec])) }],
  );
  writeFileSync(join(RESULTS_DIR, 'nexmark.svg'), svg);
}
