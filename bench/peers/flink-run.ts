/**
 * Tributary against the Flink peer, query by query (`npm run bench -- peers --peer flink`):
 *  1. agreement: Flink's final result table over the first M events (its changelog applied) and
 *     Tributary's (updating queries: the last row per key) must hold the same rows, else no
 *     ratio is printed; NOT_COMPARABLE queries (q12) say why instead;
 *  2. timing: N events, each system pinned to the same core (taskset) when there is one,
 *     R repeats. Tributary: a process per run (bench/nexmark/child.ts, bounded run on the
 *     embedded log); Flink: the JVM of step 1 runs the query R times into a blackhole sink.
 *     Both count the same part: the process's CPU time (user + system, every thread: JIT and GC
 *     included) from the moment the first event is decoded to the end of the run (Flink: the
 *     job's end; Tributary: `run()` returning, its last commit done). Start-up before the first
 *     event (Flink: planning, code generation, MiniCluster and job start, ~4 CPU-s; Tributary:
 *     opening the app) is left out on both sides and reported apart (`startup_cpu_seconds`).
 *     Medians of events per CPU-core-second; the ratio is Tributary / Flink.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sameRows, tributaryRows } from './agreement.js';
import { NOT_COMPARABLE, flinkRowsAndTimings } from './flink.js';
import type { NexmarkResult } from '../nexmark/runner.js';

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
}

/** One timed Tributary run: events per CPU-second from the first event, and the start-up's CPU seconds. */
export interface TributaryTiming {
  readonly events_per_core_sec: number;
  readonly startup_cpu_seconds: number;
}

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
  readonly log: (line: string) => void;
  /** Called with each query's row as soon as it is measured (results are saved as they come). */
  readonly onRow?: (row: FlinkPeerRow) => void;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export class TributaryRunFailed extends Error {
  readonly code = 'TRIBUTARY_RUN_FAILED';
}

/** `repeats` Tributary runs, each in a process of its own, counted from the first event. */
export function tributaryTimings(query: string, events: number, repeats: number, cpu: string | undefined): TributaryTiming[] {
  const out: TributaryTiming[] = [];
  for (let i = 0; i < repeats; i++) {
    const node = [process.execPath, '--import', 'tsx', join(here, '..', 'nexmark', 'child.ts'), query, String(events), 'log'];
    const r = cpu
      ? spawnSync('taskset', ['-c', cpu, ...node], { encoding: 'utf8', maxBuffer: 1 << 26 })
      : spawnSync(node[0]!, node.slice(1), { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new TributaryRunFailed(`tributary ${query} failed: ${r.stderr}`);
    const run = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as NexmarkResult;
    if (run.cpu_seconds_from_first_event === undefined) throw new TributaryRunFailed(`tributary ${query}: no event was decoded`);
    out.push({ events_per_core_sec: Math.round(events / run.cpu_seconds_from_first_event), startup_cpu_seconds: run.cpu_seconds - run.cpu_seconds_from_first_event });
  }
  return out;
}

export function runFlinkPeer(o: FlinkRunOptions): FlinkPeerRow[] {
  const rows: FlinkPeerRow[] = [];
  for (const q of o.queries) {
    try {
      const row = runQuery(o, q);
      rows.push(row);
      o.onRow?.(row);
    } catch (e) {
      // one query failing (a peer crash) must not lose the others' measurements
      o.log(`flink ${q}: failed: ${(e as Error).message}`);
    }
  }
  return rows;
}

function runQuery(o: FlinkRunOptions, q: string): FlinkPeerRow {
  const flink = flinkRowsAndTimings(o.classpath, o.agreeFile, o.file, q, o.repeats, o.cpu);
  const reason = NOT_COMPARABLE[q];
  const agree = reason ? { equal: false, detail: reason } : sameRows(tributaryRows(q, o.agreeEvents), flink.rows);
  o.log(`flink ${q}: agreement over ${o.agreeEvents} events: ${agree.detail}`);
  const tribRuns = tributaryTimings(q, o.events, o.repeats, o.cpu);
  const trib = tribRuns.map((r) => r.events_per_core_sec);
  const peer = flink.timings.map((t) => Math.round(o.events / t.cpu_seconds_from_first_event));
  const round3 = (x: number): number => Math.round(x * 1000) / 1000;
  const startup = {
    tributary: round3(median(tribRuns.map((r) => r.startup_cpu_seconds))),
    peer: round3(median(flink.timings.map((t) => t.cpu_seconds - t.cpu_seconds_from_first_event))),
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
  };
}
