/**
 * Tributary against the Flink peer, query by query (`npm run bench -- peers --peer flink`):
 *  1. agreement: Flink's final result table over the first M events (its changelog applied) and
 *     Tributary's (updating queries: the last row per key) must hold the same rows, else no
 *     ratio is printed; NOT_COMPARABLE queries (q12) say why instead;
 *  2. timing: N events, each system pinned to the same core (taskset) when there is one,
 *     R repeats. Tributary: one process (tributary-session.ts), warmed up first by a run over
 *     the agreement's M events, runs the query R times, each a bounded run on a fresh embedded
 *     log (`--tributary-process fresh`: a new cold process per run, bench/nexmark/child.ts);
 *     Flink: the JVM of step 1 (its rows over the same M events) runs the query R times into a
 *     blackhole sink. Tributary's timed runs end the same way by default (`sink` 'blackhole':
 *     a forEach that counts the rows, nothing serialized or written; 'log' writes each row as
 *     JSON to its output topic in the exactly-once transaction, the method before 2026-11-26c);
 *     its agreement run always writes to the log (the rows are compared). Both sides' later
 *     runs are JIT-warm.
 *     The runs alternate, Flink first in odd pairs and Tributary first in even ones (F T T F F T
 *     ...), so a change of the machine's load during a query falls on both systems alike
 *     (`schedule` records each run's wall-clock span); the JVM waits between its runs.
 *     Both count the same part: the process's CPU time (user + system, every thread: JIT and GC
 *     included) from the moment the first event is decoded to the end of the run (Flink: the
 *     job's end; Tributary: `run()` returning, its last commit done). Start-up before the first
 *     event (Flink: planning, code generation, MiniCluster and job start, ~4 CPU-s; Tributary:
 *     opening the app) is left out on both sides and reported apart (`startup_cpu_seconds`).
 *     Medians of events per CPU-core-second; the ratio is Tributary / Flink.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sameRows, tributaryRows } from './agreement.js';
import { NOT_COMPARABLE, type FlinkTiming } from './flink.js';
import { FlinkSession } from './flink-session.js';
import { TributarySession } from './tributary-session.js';
import type { NexmarkResult, NexmarkSink } from '../nexmark/runner.js';
import { median } from '../support/median.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface FlinkPeerRow {
  readonly peer: 'flink';
  readonly query: string;
  readonly agreement: string;
  /** Whether the rows were compared and found equal (false for NOT_COMPARABLE queries). */
  readonly agreed: boolean;
  readonly tributary_events_per_core_sec: number;
  readonly peer_events_per_core_sec: number;
  /** Tributary / Flink, medians; null when the rows differ. */
  readonly ratio: number | null;
  readonly runs: { readonly tributary: number[]; readonly peer: number[] };
  /** Median CPU seconds before the first event (left out of the figures above). */
  readonly startup_cpu_seconds: { readonly tributary: number; readonly peer: number };
  /** Tributary's repartition mode in the timed runs (what the runs reported). */
  readonly tributary_repartition: string;
  /** Tributary's timed runs in one warmed-up process, or each in a fresh one. */
  readonly tributary_process: TributaryProcess;
  /** Where Tributary's timed runs sent their rows (what the runs reported): blackhole, as Flink's, or log. */
  readonly tributary_sink: string;
  /** The timed runs in the order they ran, each with its wall-clock span (ms since the epoch). */
  readonly schedule: readonly TimedRunSpan[];
}

export interface TimedRunSpan {
  readonly system: 'tributary' | 'flink';
  readonly start: number;
  readonly end: number;
}

/** One timed Tributary run: events per CPU-second from the first event, and the start-up's CPU seconds. */
export interface TributaryTiming {
  readonly events_per_core_sec: number;
  readonly startup_cpu_seconds: number;
  /** How the run's keyBy records went, as the run reports it (bench/nexmark/runner.ts). */
  readonly repartition: string;
  /** Where the run's rows went, as the run reports it. */
  readonly sink: string;
}

/**
 * How Tributary's keyBy records go in the timed runs: 'memory' (local exchange in one process, as
 * Flink's parallelism-1 job exchanges records inside its JVM) or 'log' (through repartition
 * topics, as a scaled-out application).
 */
export type TributaryRepartition = 'memory' | 'log';

/**
 * How Tributary's timed runs are hosted: 'warm' (default) one long-lived process, warmed up on
 * the agreement's event count first, that runs each timed run when its turn comes, as Flink's one
 * JVM does (tributary-session.ts); 'fresh' a new process per run (cold JIT: favours Flink, whose
 * later runs are warm).
 */
export type TributaryProcess = 'warm' | 'fresh';

export interface FlinkRunOptions {
  readonly classpath: string;
  readonly queries: readonly string[];
  /** Events file of the timed runs, and its event count. */
  readonly file: string;
  readonly events: number;
  /** Events file of the agreement check, and its event count. */
  readonly agreeFile: string;
  readonly agreeEvents: number;
  readonly repeats: number;
  readonly cpu?: string;
  /** Tributary's repartition mode (default memory, the runner's own default). */
  readonly repartition?: TributaryRepartition;
  /** Tributary's timed runs in one warmed-up process (default) or each in a fresh one. */
  readonly tributaryProcess?: TributaryProcess;
  /** Where Tributary's timed runs send their rows (default blackhole, as Flink's runs). */
  readonly sink?: NexmarkSink;
  readonly log: (line: string) => void;
  /** Called with each query's row as soon as it is measured (results are saved as they come). */
  readonly onRow?: (row: FlinkPeerRow) => void;
}

export class TributaryRunFailed extends Error {
  readonly code = 'TRIBUTARY_RUN_FAILED';
}

/** A run's figures, counted from the first event; the run must have used the repartition mode asked for. */
function timingOf(query: string, events: number, run: NexmarkResult, repartition: TributaryRepartition, sink: NexmarkSink): TributaryTiming {
  if (run.cpu_seconds_from_first_event === undefined) throw new TributaryRunFailed(`tributary ${query}: no event was decoded`);
  // the run says which mode it used: a runner that ignored the flag must not be reported as asked
  if (run.repartition !== repartition) throw new TributaryRunFailed(`tributary ${query}: asked for repartition ${repartition}, the run used ${String(run.repartition)}`);
  if (run.sink !== sink) throw new TributaryRunFailed(`tributary ${query}: asked for sink ${sink}, the run used ${String(run.sink)}`);
  return {
    events_per_core_sec: Math.round(events / run.cpu_seconds_from_first_event),
    startup_cpu_seconds: run.cpu_seconds - run.cpu_seconds_from_first_event,
    repartition: run.repartition,
    sink: run.sink,
  };
}

/** One Tributary run in a process of its own (pinned to `cpu`), counted from the first event. */
export async function tributaryTiming(
  query: string,
  events: number,
  cpu: string | undefined,
  repartition: TributaryRepartition = 'memory',
  sink: NexmarkSink = 'blackhole',
): Promise<TributaryTiming> {
  const node = [process.execPath, '--import', 'tsx', join(here, '..', 'nexmark', 'child.ts'), query, String(events), 'log', '--repartition', repartition, '--sink', sink];
  const [cmd, ...args] = cpu ? ['taskset', '-c', cpu, ...node] : node;
  const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  // stderr carries progress lines; keep only the end, for a failure's message
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new TributaryRunFailed(`tributary ${query} failed (${code}): ${stderr}`);
  return timingOf(query, events, JSON.parse(stdout.trim().split('\n').at(-1)!) as NexmarkResult, repartition, sink);
}

/** Which system runs first in timed pair `i` (0-based): Flink, then Tributary, then alternating (F T, T F, F T, ...). */
export function pairOrder(i: number): ['flink' | 'tributary', 'flink' | 'tributary'] {
  return i % 2 === 0 ? ['flink', 'tributary'] : ['tributary', 'flink'];
}

export async function runFlinkPeer(o: FlinkRunOptions): Promise<FlinkPeerRow[]> {
  const rows: FlinkPeerRow[] = [];
  for (const q of o.queries) {
    try {
      const row = await runQuery(o, q);
      rows.push(row);
      o.onRow?.(row);
    } catch (e) {
      // one query failing (a peer crash) must not lose the others' measurements
      o.log(`flink ${q}: failed: ${(e as Error).message}`);
    }
  }
  return rows;
}

async function runQuery(o: FlinkRunOptions, q: string): Promise<FlinkPeerRow> {
  const session = new FlinkSession(o.classpath, q, o.agreeFile, o.file, o.repeats, o.cpu);
  const repartition = o.repartition ?? 'memory';
  const hosting = o.tributaryProcess ?? 'warm';
  const sink = o.sink ?? 'blackhole';
  let tributary: TributarySession | undefined;
  const tribRuns: TributaryTiming[] = [];
  const flinkRuns: FlinkTiming[] = [];
  const schedule: TimedRunSpan[] = [];
  let agree: { equal: boolean; detail: string };
  const reason = NOT_COMPARABLE[q];
  try {
    const flinkRows = await session.rows();
    agree = reason ? { equal: false, detail: reason } : sameRows(tributaryRows(q, o.agreeEvents), flinkRows);
    o.log(`flink ${q}: agreement over ${o.agreeEvents} events: ${agree.detail}`);
    if (hosting === 'warm') {
      // warmed up on as many events as Flink's JVM computed its rows over, before any timed run
      tributary = new TributarySession(q, o.events, o.agreeEvents, repartition, o.cpu, sink);
      await tributary.warmedUp();
    }
    const tributaryRun = async (): Promise<TributaryTiming> =>
      tributary ? timingOf(q, o.events, await tributary.timedRun(), repartition, sink) : tributaryTiming(q, o.events, o.cpu, repartition, sink);
    for (let i = 0; i < o.repeats; i++) {
      for (const system of pairOrder(i)) {
        const start = Date.now();
        if (system === 'flink') flinkRuns.push(await session.timedRun());
        else tribRuns.push(await tributaryRun());
        schedule.push({ system, start, end: Date.now() });
      }
    }
    await session.close();
    await tributary?.close();
  } finally {
    session.kill();
    tributary?.kill();
  }
  const trib = tribRuns.map((r) => r.events_per_core_sec);
  const peer = flinkRuns.map((t) => Math.round(o.events / t.cpu_seconds_from_first_event));
  const round3 = (x: number): number => Math.round(x * 1000) / 1000;
  const startup = {
    tributary: round3(median(tribRuns.map((r) => r.startup_cpu_seconds))),
    peer: round3(median(flinkRuns.map((t) => t.cpu_seconds - t.cpu_seconds_from_first_event))),
  };
  const t = Math.round(median(trib));
  const f = Math.round(median(peer));
  const ratio = agree.equal || reason ? Math.round((t / f) * 100) / 100 : null;
  o.log(`flink ${q}: tributary ${trib.join(', ')} | flink ${peer.join(', ')} events/core-s from the first event (start-up CPU-s left out: tributary ${startup.tributary}, flink ${startup.peer}) -> ratio ${ratio ?? 'not printed (results differ)'}`);
  return {
    peer: 'flink',
    query: q,
    agreement: reason ? reason : `${agree.detail} (${o.agreeEvents} events)`,
    agreed: agree.equal,
    tributary_events_per_core_sec: t,
    peer_events_per_core_sec: f,
    ratio,
    runs: { tributary: trib, peer },
    startup_cpu_seconds: startup,
    tributary_repartition: [...new Set(tribRuns.map((r) => r.repartition))].join(','),
    tributary_process: hosting,
    tributary_sink: [...new Set(tribRuns.map((r) => r.sink))].join(','),
    schedule,
  };
}
