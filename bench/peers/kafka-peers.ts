/**
 * Tributary against the Kafka-based peers (Kafka Streams 4.4, @kafkats/flow 0.12) on one real
 * Kafka broker: the same events topic (kafka-input.ts), each system reading it from the
 * beginning with a fresh application id, exactly-once, writing its output topic.
 *
 * Per query:
 *  1. runs: Tributary `repeats` times (a process each, tributary-kafka-child.ts), the peer
 *     `repeats` times (Kafka Streams: one JVM, later runs JIT-warm; @kafkats/flow: a process
 *     each), all pinned to the same core when taskset is there. Events per CPU-second =
 *     events / CPU time of the process over the run (startup of the application included).
 *  2. agreement: the first run's output topics of both, read back read_committed, as result tables
 *     (agreement.ts resultTable: updating queries reduced to their final rows) must hold the same
 *     rows, else no ratio is printed. Kafka Streams has no end of input: windows still open at
 *     the last event never close there, while Tributary's bounded run closes them. Windowed
 *     queries are therefore compared over the windows every system has closed by the end
 *     (HORIZON below); the rows after it are left out of both sides.
 */
import { ensureKafkaStreamsPeer, kafkaStreamsRuns, readTopicJson, type JvmTiming, KAFKA_STREAMS_QUERIES } from './kafka-streams/peer.js';
import { KAFKATS_FLOW_QUERIES, runKafkatsFlow } from './kafkats-flow/peer.js';
import { lastEventTime, produceEvents, runTributaryOnKafka } from './kafka-input.js';
import { resultTable, sameRows } from './agreement.js';

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
}

export interface KafkaPeerOptions {
  readonly peer: KafkaPeerName;
  readonly bootstrap: string;
  readonly queries: readonly string[];
  readonly events: number;
  readonly repeats: number;
  /** Core to pin every process to (taskset -c), when set. */
  readonly cpu?: string;
  readonly log: (line: string) => void;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

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
    const trib: number[] = [];
    for (let i = 0; i < o.repeats; i++) {
      const r = await runTributaryOnKafka(o.bootstrap, input, q, `trib-${q}-${tag}-${i}`, `trib-${q}-${tag}-${i}`, o.cpu);
      trib.push(Math.round(o.events / r.cpu_seconds));
    }
    const peerOut = `${o.peer}-${q}-${tag}`;
    const timings: JvmTiming[] =
      o.peer === 'kafka-streams'
        ? kafkaStreamsRuns(classpath, o.bootstrap, input, q, peerOut, peerOut, o.repeats, o.cpu)
        : runKafkatsFlow(o.bootstrap, input, q, peerOut, peerOut, o.repeats, o.cpu);
    const peer = timings.map((t) => Math.round(o.events / t.cpu_seconds));
    const a = agree(q, o.events, readTopicJson(classpath, o.bootstrap, `trib-${q}-${tag}-0`), readTopicJson(classpath, o.bootstrap, `${peerOut}-0`));
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
    };
    o.log(`${o.peer} ${q}: agreement: ${a.detail}; tributary ${trib.join(', ')} | ${o.peer} ${peer.join(', ')} events/core-s -> ratio ${row.ratio ?? 'not printed (results differ)'}`);
    rows.push(row);
  }
  return rows;
}

/** What each Kafka peer's numbers are, for peers.json. */
export const KAFKA_PEER_NOTES: Record<KafkaPeerName, string> = {
  'kafka-streams':
    'Apache Kafka Streams 4.4.0 (one JVM, -Xmx1g, one stream thread, exactly_once_v2, default caching) vs Tributary on kafka({ brokers }) (exactly-once), both reading the same one-partition topic of one real Kafka 4.4 broker on this machine; the Kafka Streams runs share one JVM (later runs JIT-warm), Tributary one process per run; CPU time of each process over its run, application startup included',
  'kafkats-flow':
    '@kafkats/flow 0.12.0 (exactly_once, consumer maxRecords raised: with the default it loses records) vs Tributary on kafka({ brokers }), same topic, one process per run each; @kafkats/flow asks for Node >= 22.19, this machine has Node 20',
};
