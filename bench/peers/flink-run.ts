/**
 * Tributary against the Flink peer, query by query (`npm run bench -- peers --peer flink`):
 *  1. agreement: Flink's final result table over the first M events (its changelog applied) and
 *     Tributary's (updating queries: the last row per key) must hold the same rows, else no
 *     ratio is printed; NOT_COMPARABLE queries (q12) say why instead;
 *  2. timing: N events, each system pinned to the same core (taskset) when there is one,
 *     R repeats. Tributary: a process per run (bench/nexmark/child.ts, bounded run on the
 *     embedded log, CPU time of the run); Flink: the JVM of step 1 runs the query R times into a
 *     blackhole sink (CPU time of the JVM over each run: planning and job start-up included).
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

/** Events per CPU-core-second of `repeats` Tributary runs, each in a process of its own. */
export function tributaryTimings(query: string, events: number, repeats: number, cpu: string | undefined): number[] {
  const out: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const node = [process.execPath, '--import', 'tsx', join(here, '..', 'nexmark', 'child.ts'), query, String(events), 'log'];
    const r = cpu
      ? spawnSync('taskset', ['-c', cpu, ...node], { encoding: 'utf8', maxBuffer: 1 << 26 })
      : spawnSync(node[0]!, node.slice(1), { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new TributaryRunFailed(`tributary ${query} failed: ${r.stderr}`);
    out.push((JSON.parse(r.stdout.trim().split('\n').at(-1)!) as NexmarkResult).events_per_core_sec);
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
  const trib = tributaryTimings(q, o.events, o.repeats, o.cpu);
  const peer = flink.timings.map((t) => Math.round(o.events / t.cpu_seconds));
  const t = Math.round(median(trib));
  const f = Math.round(median(peer));
  const ratio = agree.equal || reason ? Math.round((t / f) * 100) / 100 : null;
  o.log(`flink ${q}: tributary ${trib.join(', ')} | flink ${peer.join(', ')} events/core-s -> ratio ${ratio ?? 'not printed (results differ)'}`);
  return {
    peer: 'flink',
    query: q,
    agreement: reason ? reason : `${agree.detail} (${o.agreeEvents} events)`,
    agreed: agree.equal,
    tributary_events_per_core_sec: t,
    peer_events_per_core_sec: f,
    ratio,
    runs: { tributary: trib, peer },
  };
}
