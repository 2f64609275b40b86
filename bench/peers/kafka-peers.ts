/**
 * Tributary against the Kafka-based peers (Kafka Streams 4.4, @kafkats/flow 0.12) on one real
 * Kafka broker: the same events topic (kafka-input.ts), each system reading it from the
 * beginning with a fresh application id, exactly-once, writing its output topic.
 *
 * Per query:
 *  1. runs, all pinned to the same core when taskset is there. Events per CPU-second = events /
 *     CPU time of the process over the run (startup of the application included).
 *     Kafka Streams (method 'warm', the default): one JVM for its runs and one Tributary process
 *     for Tributary's (tributary-kafka-paced-child.ts), each starting a run only when told, so
 *     both are JIT-warm alike: a first run each (not timed; its output is the one compared),
 *     then `repeats` timed runs alternating as the Flink comparison's (K T, T K, K T, ...), so a
 *     change of the machine's load falls on both. Method 'fresh' (before 2026-11-26b): Tributary
 *     a new process per run (cold), Kafka Streams its runs in one JVM (later runs warm), not
 *     alternated. @kafkats/flow: a new process per run on both sides (both cold alike).
 *  2. agreement: the first run's output topics of both, read back read_committed, as result tables
 *     (agreement.ts resultTable: updating queries reduced to their final rows) must hold the same
 *     rows, else no ratio is printed. Kafka Streams has no end of input: windows still open at
 *     the last event never close there, while Tributary's bounded run closes them. Windowed
 *     queries are therefore compared over the windows every system has closed by the end
 *     (HORIZON below); the rows after it are left out of both sides.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureKafkaStreamsPeer, kafkaStreamsCommand, kafkaStreamsRuns, readTopicJson, type JvmTiming, KAFKA_STREAMS_QUERIES } from './kafka-streams/peer.js';
import { KAFKATS_FLOW_QUERIES, runKafkatsFlow } from './kafkats-flow/peer.js';
import { lastEventTime, produceEvents, runTributaryOnKafka } from './kafka-input.js';
import { resultTable, sameRows } from './agreement.js';
import { PacedRuns } from './paced-runs.js';
import { pairOrder } from './flink-run.js';
import { kafkaRunExchange, type KafkaRunExchange, type TributaryKafkaRun } from './tributary-kafka-run.js';
import { median } from '../support/median.js';

const here = dirname(fileURLToPath(import.meta.url));

export type KafkaPeerName = 'kafka-streams' | 'kafkats-flow';

export const KAFKA_PEER_QUERIES: Record<KafkaPeerName, readonly string[]> = {
  'kafka-streams': KAFKA_STREAMS_QUERIES,
  'kafkats-flow': KAFKATS_FLOW_QUERIES,
};

/**
 * Rows whose window every system has closed once it has read the last event (at time `last`):
 * Kafka Streams closes a q5 window (end E) when its stage 2 sees the next window, at stream time
 * E + 2 s + 4 s grace (1 s of margin on top); a q7 window when stream time - 4 s passes its
 * end + 1 ms (a bid at a window's start also belongs to the window before, closed earlier).
 */
const HORIZON: Record<string, (r: Record<string, unknown>, last: number) => boolean> = {
  q5: (r, last) => (r.endtime as number) <= last - 7000,
  q7: (r, last) => Math.floor((r.dateTime as number) / 10_000) * 10_000 + 10_000 <= last - 5000,
};

export interface Agreement {
  readonly equal: boolean;
  readonly detail: string;
}

/** Compares two output topics' records as the query's result table (over the horizon for windowed queries). */
export function agree(query: string, events: number, tributary: ReadonlyArray<Record<string, unknown>>, peer: ReadonlyArray<Record<string, unknown>>): Agreement {
  const horizon = HORIZON[query];
  const last = horizon ? lastEventTime(events) : 0;
  const keep = (rs: ReadonlyArray<Record<string, unknown>>): ReadonlyArray<Record<string, unknown>> => (horizon ? rs.filter((r) => horizon(r, last)) : rs);
  const ours = resultTable(query, keep(tributary));
  const theirs = resultTable(query, keep(peer));
  // Agreeing on nothing proves nothing (too few events for a window to close, say).
  if (ours.length === 0 && theirs.length === 0) return { equal: false, detail: 'no rows to compare (more events needed)' };
  const r = sameRows(ours, theirs);
  return horizon ? { equal: r.equal, detail: `${r.detail} (windows ending ${query === 'q5' ? 7 : 5} s or more before the last event)` } : r;
}

export interface KafkaPeerRow {
  readonly peer: KafkaPeerName;
  readonly query: string;
  readonly agreement: string;
  readonly tributary_events_per_core_sec: number;
  readonly peer_events_per_core_sec: number;
  /** Tributary / peer, medians; null when the results differ. */
  readonly ratio: number | null;
  readonly runs: { readonly tributary: number[]; readonly peer: number[] };
  /** How Tributary's runs were hosted: one warm process (paced, alternated with the peer's) or a fresh one each. */
  readonly tributary_process: KafkaPeerMethod;
  /**
   * How Tributary's keyBy records went: 'log' through the repartition topic on Kafka, 'memory'
   * in the process, for the queries whose peer topology has no repartition topic (NO_PEER_REPARTITION: q7).
   */
  readonly tributary_repartition: KafkaRunExchange;
  readonly alternated: boolean;
  /** 'warm': the untimed first run of each side (events/core-s), whose outputs were compared. */
  readonly first_runs?: { readonly tributary: number; readonly peer: number };
  /** 'warm': the timed runs in the order they ran, each with its wall-clock span (ms since the epoch). */
  readonly schedule?: ReadonlyArray<{ readonly system: 'tributary' | KafkaPeerName; readonly start: number; readonly end: number }>;
}

/**
 * How the Kafka Streams comparison hosts the runs: 'warm' one process per system, a first run
 * each, then alternated timed runs; 'fresh' a new Tributary process per run, then the JVM's runs.
 */
export type KafkaPeerMethod = 'warm' | 'fresh';

export interface KafkaPeerOptions {
  readonly peer: KafkaPeerName;
  readonly bootstrap: string;
  readonly queries: readonly string[];
  readonly events: number;
  readonly repeats: number;
  /** Core to pin every process to (taskset -c), when set. */
  readonly cpu?: string;
  /** Kafka Streams: 'warm' (default) or 'fresh'; @kafkats/flow always runs fresh processes on both sides. */
  readonly method?: KafkaPeerMethod;
  readonly log: (line: string) => void;
  /** Called with each query's row as soon as it is measured (results are saved as they come). */
  readonly onRow?: (row: KafkaPeerRow) => void;
}

/** The runs of one peer over the events topic; ends with every query's row. */
export async function runKafkaPeer(o: KafkaPeerOptions): Promise<KafkaPeerRow[]> {
  const classpath = ensureKafkaStreamsPeer(); // also the topic reader for every peer
  const tag = `${process.pid}-${Date.now()}`;
  const input = `nexmark-peers-${tag}`;
  o.log(`${o.peer}: writing ${o.events} events to ${input} on ${o.bootstrap}`);
  await produceEvents(o.bootstrap, input, o.events);
  const rows: KafkaPeerRow[] = [];
  for (const q of o.queries) {
    if (!KAFKA_PEER_QUERIES[o.peer].includes(q)) {
      o.log(`${o.peer}: ${q} skipped (the peer has ${KAFKA_PEER_QUERIES[o.peer].join(', ')})`);
      continue;
    }
    const peerOut = `${o.peer}-${q}-${tag}`;
    const tribOut = `trib-${q}-${tag}`;
    const perSec = (t: { cpu_seconds: number }): number => Math.round(o.events / t.cpu_seconds);
    const method: KafkaPeerMethod = o.peer === 'kafka-streams' ? (o.method ?? 'warm') : 'fresh';
    let trib: number[];
    let peer: number[];
    let warm: Pick<KafkaPeerRow, 'first_runs' | 'schedule'> = {};
    if (method === 'warm') {
      const w = await warmAlternated(o, classpath, input, q, tribOut, peerOut);
      ({ trib, peer } = w);
      warm = { first_runs: w.first_runs, schedule: w.schedule };
    } else {
      trib = [];
      for (let i = 0; i < o.repeats; i++) trib.push(perSec(await runTributaryOnKafka(o.bootstrap, input, q, `${tribOut}-${i}`, `${tribOut}-${i}`, o.cpu)));
      const timings: JvmTiming[] =
        o.peer === 'kafka-streams'
          ? kafkaStreamsRuns(classpath, o.bootstrap, input, q, peerOut, peerOut, o.repeats, o.cpu)
          : runKafkatsFlow(o.bootstrap, input, q, peerOut, peerOut, o.repeats, o.cpu);
      peer = timings.map(perSec);
    }
    const a = agree(q, o.events, readTopicJson(classpath, o.bootstrap, `${tribOut}-0`), readTopicJson(classpath, o.bootstrap, `${peerOut}-0`));
    const t = Math.round(median(trib));
    const p = Math.round(median(peer));
    const row: KafkaPeerRow = {
      peer: o.peer,
      query: q,
      agreement: a.detail,
      tributary_events_per_core_sec: t,
      peer_events_per_core_sec: p,
      ratio: a.equal ? Math.round((t / p) * 100) / 100 : null,
      runs: { tributary: trib, peer },
      tributary_process: method,
      tributary_repartition: kafkaRunExchange(q),
      alternated: method === 'warm',
      ...warm,
    };
    o.log(`${o.peer} ${q} (${method}): agreement: ${a.detail}; tributary ${trib.join(', ')} | ${o.peer} ${peer.join(', ')} events/core-s -> ratio ${row.ratio ?? 'not printed (results differ)'}`);
    rows.push(row);
    o.onRow?.(row);
  }
  return rows;
}

/**
 * Kafka Streams' and Tributary's runs of one query, each system in one process paced by its stdin:
 * a first run each (untimed: JIT warm-up; its output topic, suffix -0, is the one compared), then
 * `repeats` timed runs alternating (pairOrder: the peer first in even pairs).
 */
async function warmAlternated(
  o: KafkaPeerOptions,
  classpath: string,
  input: string,
  q: string,
  tribOut: string,
  peerOut: string,
): Promise<{ trib: number[]; peer: number[]; first_runs: { tributary: number; peer: number }; schedule: NonNullable<KafkaPeerRow['schedule']> }> {
  const pin = o.cpu ? ['taskset', '-c', o.cpu] : [];
  const peerProc = new PacedRuns<JvmTiming>(kafkaStreamsCommand(classpath, ['paced', o.bootstrap, input, q, peerOut, peerOut, String(o.repeats + 1)], o.cpu), 'Kafka Streams peer');
  const tribProc = new PacedRuns<TributaryKafkaRun>(
    [...pin, process.execPath, '--import', 'tsx', join(here, 'tributary-kafka-paced-child.ts'), o.bootstrap, input, q, tribOut, tribOut],
    "Tributary's process",
  );
  const perSec = (t: { cpu_seconds: number }): number => Math.round(o.events / t.cpu_seconds);
  try {
    const first_runs = { peer: perSec(await peerProc.run()), tributary: perSec(await tribProc.run()) };
    const trib: number[] = [];
    const peer: number[] = [];
    const schedule: Array<{ system: 'tributary' | KafkaPeerName; start: number; end: number }> = [];
    for (let i = 0; i < o.repeats; i++) {
      for (const side of pairOrder(i)) {
        const start = Date.now();
        if (side === 'tributary') trib.push(perSec(await tribProc.run()));
        else peer.push(perSec(await peerProc.run()));
        schedule.push({ system: side === 'tributary' ? 'tributary' : o.peer, start, end: Date.now() });
      }
    }
    await peerProc.close();
    await tribProc.close();
    return { trib, peer, first_runs, schedule };
  } finally {
    peerProc.kill();
    tribProc.kill();
  }
}

/** What each Kafka peer's numbers are, for peers.json. */
export const KAFKA_PEER_NOTES: Record<KafkaPeerName, string> = {
  'kafka-streams':
    'Apache Kafka Streams 4.4.0 (one JVM, -Xmx1g, one stream thread, exactly_once_v2, default caching) vs Tributary on kafka({ brokers }) (exactly-once), both reading the same one-partition topic of one real Kafka 4.4 broker on this machine; each system one process for all its runs, a first untimed run each (its output compared), then the timed runs alternated (tributary_process warm; fresh: Tributary a new process per run, not alternated); CPU time of each process over its run, application startup included; the keyBy of Tributary goes through a repartition topic on Kafka where the Kafka Streams topology has one (q3, q4, q5, q8) and in memory where it has none (q7: Kafka Streams processes the one-partition input directly; tributary_repartition)',
  'kafkats-flow':
    '@kafkats/flow 0.12.0 (exactly_once, consumer maxRecords raised: with the default it loses records) vs Tributary on kafka({ brokers }), same topic, one process per run each; @kafkats/flow asks for Node >= 22.19, this machine has Node 20',
};
