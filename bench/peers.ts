/**
 * `npm run bench -- peers [--peer flink] [--events N] [--repeats R] [--queries q0,q1,...] [--agree-events M] [--cpu C] [--repartition memory|log] [--tributary-process warm|fresh] [--json] [--no-save]`:
 * Tributary against its peers on the same machine, same events, same run; the rows must agree
 * before a ratio is printed. Peers: Apache Flink 2.2 (--peer flink, every query; flink-run.ts
 * says how each is checked and timed). Results are merged into bench/results/peers.json, one
 * entry per peer and query (a run replaces the entries it measured). Both sides of a comparison
 * are pinned to core C (--cpu, default 1) with taskset.
 *
 * `--peer kafka-streams|kafkats-flow|all` (or a comma list): Kafka Streams 4.4 and @kafkats/flow
 * 0.12 on a real Kafka broker, against Tributary reading the same topic (bench/peers/kafka-peers.ts);
 * `--bootstrap host:port` uses a running broker, else a one-broker cluster is started and stopped.
 * Their --events default is 200,000. Kafka Streams' runs are warm and alternated like Flink's
 * (--tributary-process fresh: the method before 2026-11-26b). With --json and Flink among several peers, only Flink's
 * object is printed (every peer's rows are in peers.json).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FLINK_QUERIES, ensureFlinkPeer, writeEventsFile } from './peers/flink.js';
import { runFlinkPeer } from './peers/flink-run.js';
import { KAFKA_PEER_NOTES, KAFKA_PEER_QUERIES, runKafkaPeer, type KafkaPeerName, type KafkaPeerRow } from './peers/kafka-peers.js';
import { withKafka } from './peers/kafka-input.js';

const here = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(here, 'results', 'peers.json');

/** One measured peer+query; the fields every peer reports (a peer may add its own). */
interface PeerResult {
  readonly peer: string;
  readonly query: string;
  readonly ratio: number | null;
}

function arg(args: string[], name: string, def: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
}

/** Merges `rows` into bench/results/peers.json: an entry per peer+query, the new replacing the old. */
export function savePeerResults(rows: readonly PeerResult[], run: Record<string, unknown>): void {
  let old: { results?: PeerResult[] } = {};
  try {
    old = JSON.parse(readFileSync(RESULTS, 'utf8')) as { results?: PeerResult[] };
  } catch {
    // first run: no file yet
  }
  const key = (r: PeerResult): string => `${r.peer}/${r.query}`;
  const fresh = new Set(rows.map(key));
  // entries of the q0-q2-only format (before per-peer entries) have no peer: they were Flink's
  const kept = (old.results ?? []).filter((r) => r.peer !== undefined && !fresh.has(key(r)));
  const results = [...kept, ...rows.map((r) => ({ ...r, measured: run }))].sort((a, b) => a.peer.localeCompare(b.peer) || Number(a.query.slice(1)) - Number(b.query.slice(1)));
  writeFileSync(RESULTS, JSON.stringify({ bench: 'peers', results }, null, 2) + '\n');
}

const PEERS = ['flink', 'kafka-streams', 'kafkats-flow'];

export class PeersUsageError extends Error {
  readonly code = 'PEERS_USAGE';
}

const PEERS_USAGE = `npm run -s bench -- peers [options]
  Tributary against its peers on this machine, same events; rows must agree before a ratio is printed.
  --peer flink|kafka-streams|kafkats-flow|all   (default flink; a comma list works)
  --queries q0,q1,...    queries to run (default: every query the peer has)
  --events N             events of the timed runs (Flink default 1,000,000; Kafka peers 200,000)
  --agree-events M       events of the agreement check (Flink, default 50,000)
  --repeats R            timed runs per side; medians are reported (default 3)
  --cpu C                core both sides are pinned to with taskset (default 1)
  --repartition memory|log  Flink peer: how Tributary's keyBy records go (default memory: in the
                         process, as Flink's one-JVM job; log: through repartition topics)
  --tributary-process warm|fresh  Flink peer: Tributary's timed runs in one process warmed up on
                         the agreement's events, as Flink's JVM (default warm), or a new process each;
                         Kafka Streams: warm = one process per system, a first run each, then the
                         timed runs alternated; fresh = a new Tributary process per run, the JVM's
                         runs after them (@kafkats/flow: a new process per run on both sides)
  --sink blackhole|log   Flink peer: where Tributary's timed runs send their rows (default blackhole,
                         as Flink's runs: a forEach that counts them; log: JSON to an output topic,
                         exactly-once); the agreement run always writes to the log
  --bootstrap host:port  Kafka peers: a running broker (else a one-broker cluster is started)
  --json                 one JSON object on stdout
  --no-save              do not merge the results into bench/results/peers.json
`;

/** The core both sides are pinned to (--cpu, default 1), if taskset can pin to it. */
function pinnedCpu(args: string[]): string | undefined {
  const cpu = arg(args, '--cpu', '1');
  return spawnSync('taskset', ['-c', cpu, 'true']).status === 0 ? cpu : undefined;
}

/** `--tributary-process warm|fresh` (default warm), for every peer. */
function tributaryProcessArg(args: string[]): 'warm' | 'fresh' {
  const v = arg(args, '--tributary-process', 'warm');
  if (v !== 'warm' && v !== 'fresh') throw new PeersUsageError(`--tributary-process must be warm or fresh, not ${v}`);
  return v;
}

/**
 * The Kafka peers (bench/peers/kafka-peers.ts): each over its queries (or --queries), on the broker
 * of --bootstrap or a one-broker cluster of its own; rows saved like Flink's unless --no-save.
 */
async function kafkaPeers(args: string[], names: readonly KafkaPeerName[]): Promise<KafkaPeerRow[]> {
  const events = Number(arg(args, '--events', '200000'));
  const repeats = Number(arg(args, '--repeats', '3'));
  const asked = args.includes('--queries') ? arg(args, '--queries', '').split(',') : undefined;
  const cpu = pinnedCpu(args);
  const log = (m: string): void => void process.stderr.write(`[bench peers] ${m}\n`);
  const bootstrap = args.includes('--bootstrap') ? arg(args, '--bootstrap', '') : undefined;
  const method = tributaryProcessArg(args);
  return withKafka(bootstrap, log, async (bs) => {
    const rows: KafkaPeerRow[] = [];
    for (const peer of names) {
      const run = { date: new Date().toISOString(), events, repeats, pinned_cpu: cpu ?? null, note: KAFKA_PEER_NOTES[peer] };
      // saved query by query: a run cut short keeps what it measured
      const save = !args.includes('--no-save');
      const got = await runKafkaPeer({ peer, bootstrap: bs, queries: asked ?? KAFKA_PEER_QUERIES[peer], events, repeats, cpu, method, log, onRow: (r) => save && savePeerResults([r], run) });
      rows.push(...got);
    }
    return rows;
  });
}

export async function main(args: string[]): Promise<void> {
  if (args.includes('--help') || args.includes('-h')) {
    // Without this, `peers --help` started the whole default run (every query, 1M events, tens of minutes).
    process.stdout.write(PEERS_USAGE);
    return;
  }
  const peer = arg(args, '--peer', 'flink');
  const wanted = peer === 'all' ? PEERS : peer.split(',');
  for (const p of wanted) if (!PEERS.includes(p)) throw new PeersUsageError(`unknown peer ${p}; one of: ${PEERS.join(', ')}, all`);
  const kafkaNames = wanted.filter((p): p is KafkaPeerName => p !== 'flink');
  if (kafkaNames.length > 0) {
    const kafkaRows = await kafkaPeers(args, kafkaNames);
    if (args.includes('--json') && !wanted.includes('flink')) process.stdout.write(JSON.stringify({ bench: 'peers', peer, results: kafkaRows }) + '\n');
    else if (!args.includes('--json')) for (const r of kafkaRows) process.stdout.write(`${r.query}  tributary ${r.tributary_events_per_core_sec}  ${r.peer} ${r.peer_events_per_core_sec}  ratio ${r.ratio ?? '-'}  (${r.agreement})\n`);
  }
  if (!wanted.includes('flink')) return;
  const events = Number(arg(args, '--events', '1000000'));
  const repeats = Number(arg(args, '--repeats', '3'));
  const agreeEvents = Number(arg(args, '--agree-events', '50000'));
  const queries = arg(args, '--queries', FLINK_QUERIES.join(',')).split(',');
  const asJson = args.includes('--json');
  const cpu = pinnedCpu(args);
  const repartition = arg(args, '--repartition', 'memory');
  if (repartition !== 'memory' && repartition !== 'log') throw new PeersUsageError(`--repartition must be memory or log, not ${repartition}`);
  const tributaryProcess = tributaryProcessArg(args);
  const sink = arg(args, '--sink', 'blackhole');
  if (sink !== 'blackhole' && sink !== 'log') throw new PeersUsageError(`--sink must be blackhole or log, not ${sink}`);
  const log = (m: string): void => void process.stderr.write(`[bench peers] ${m}\n`);
  const classpath = ensureFlinkPeer();
  const dir = mkdtempSync(join(tmpdir(), 'tributary-peers-'));
  try {
    const agreeFile = join(dir, 'agree.jsonl');
    const file = join(dir, 'events.jsonl');
    await writeEventsFile(agreeFile, agreeEvents);
    await writeEventsFile(file, events);
    const run = { date: new Date().toISOString(), events, agree_events: agreeEvents, repeats, pinned_cpu: cpu ?? null, repartition, tributary_process: tributaryProcess, alternated: true, sink };
    const save = !args.includes('--no-save');
    const rows = await runFlinkPeer({ classpath, queries, file, events, agreeFile, agreeEvents, repeats, cpu, repartition, tributaryProcess, sink, log, onRow: (r) => save && savePeerResults([r], run) });
    if (asJson) process.stdout.write(JSON.stringify({ bench: 'peers', peer, ...run, results: rows }) + '\n');
    else for (const r of rows) process.stdout.write(`${r.query}  tributary ${r.tributary_events_per_core_sec}  flink ${r.peer_events_per_core_sec}  ratio ${r.ratio ?? '-'}  (${r.agreement})\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
