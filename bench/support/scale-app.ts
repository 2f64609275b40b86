/**
 * One process of the scale bench (bench/scale.ts): the windowed count (keyBy + 1 s tumbling
 * count, exactly-once) with scaleOut on a log of the Kafka protocol.
 *
 *   node --import tsx bench/support/scale-app.ts <bootstrap> <stateDir> <applicationId> <instanceId>
 *
 * Input `<applicationId>-in` (null keys, 8-byte values: uint32 key id, uint32 amount; event time =
 * record timestamp), output `<applicationId>-out` (windowed(string) keys, JSON counts). Speaks the
 * scale-out process protocol (scale-out-process.ts: READY, REBALANCE {json}, FAILED; SIGTERM
 * closes it).
 *
 * Commands on stdin, one per line, for the bench's measurements of this process:
 *   STATS                 prints `STATS {json}`: the requests its Kafka clients sent so far by API name,
 *                         records produced and offsets fetched per topic, CPU-seconds per thread name (`cpu <name>`)
 *   PROFILE START         starts V8's CPU profiler (node:inspector)
 *   PROFILE STOP <file>   stops it and writes the .cpuprofile (open in Chrome DevTools); prints `PROFILED`
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { StreamsApp, json, string, tumbling } from '../../src/index.js';
import { KafkaLog, kafka, type Log, type LogConnector } from '../../src/connectors/index.js';
import { ApiKeys } from '../../src/protocol/api-keys.js';
import { keyAmountSerde } from './key-amount.js';
import { runIfMain, startScaleOutProcess } from './scale-out-process.js';
import { threadCpu } from './thread-cpu.js';

export const WINDOW_MS = 1_000;


export const inputTopic = (app: string): string => `${app}-in`;
export const outputTopic = (app: string): string => `${app}-out`;

export function buildScaleApp(applicationId: string): StreamsApp {
  // Idleness is a wall-clock feature: a starved partition on a loaded machine must not turn idle
  // and make the others' records late (the bench feeds every partition evenly).
  const app = new StreamsApp({ applicationId, idleTimeout: '1h' });
  app
    .stream(inputTopic(applicationId), { value: keyAmountSerde })
    .keyBy((e) => `k${e.k}`, { key: string() })
    .window(tumbling(WINDOW_MS))
    .count()
    .toStream()
    .to(outputTopic(applicationId), { value: json() });
  return app;
}

const API_NAMES = new Map<number, string>(Object.entries(ApiKeys).map(([name, key]) => [key as number, name]));

/** The connector, remembering every Log it connected (the runtime connects its own). */
function countingConnector(inner: LogConnector, logs: Log[]): LogConnector {
  return {
    ...inner,
    async connect(): Promise<Log> {
      const log = await inner.connect();
      logs.push(log);
      return log;
    },
  };
}

/** Requests sent by API name, records produced (`produce <topic>`) and offsets fetched (`fetch <topic>`, topic names without the application id). */
function clientCounts(logs: readonly Log[], applicationId: string): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (name: string, n: number): void => {
    out[name] = (out[name] ?? 0) + n;
  };
  const short = (topic: string): string => topic.replaceAll(`${applicationId}-`, "");
  for (const log of logs) {
    if (!(log instanceof KafkaLog)) continue;
    log.client.requestCounts.forEach((n, key) => add(API_NAMES.get(key) ?? String(key), n));
    for (const [topic, n] of log.client.recordsProduced) add(`produce ${short(topic)}`, n);
    for (const [topic, n] of log.client.offsetsFetched) add(`fetch ${short(topic)}`, n);
  }
  return out;
}

/**
 * Garbage collections so far, as counters next to the request counts: scavenges (young
 * generation), mark-compacts (old), and the main thread's pauses for all of them in seconds.
 */
const gcCounts = { 'gc scavenge': 0, 'gc mark-compact': 0, 'gc pause-sec': 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gcCounts['gc scavenge']++;
    else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gcCounts['gc mark-compact']++;
    gcCounts['gc pause-sec'] += e.duration / 1000;
  }
}).observe({ entryTypes: ['gc'] });

/** Per thread name, as `cpu <name>` counters next to the request counts. */
function cpuByThread(): Record<string, number> {
  return Object.fromEntries(Object.entries(threadCpu()).map(([name, sec]) => [`cpu ${name}`, sec]));
}

/** Serves the bench's STATS and PROFILE commands on stdin. */
function serveCommands(logs: readonly Log[], applicationId: string): void {
  let session: Session | undefined;
  createInterface({ input: process.stdin }).on('line', (line) => {
    void (async () => {
      const [cmd, arg, file] = line.trim().split(' ');
      if (cmd === 'STATS') process.stdout.write(`STATS ${JSON.stringify({ ...clientCounts(logs, applicationId), ...cpuByThread(), ...gcCounts })}\n`);
      else if (cmd === 'PROFILE' && arg === 'START') {
        session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
      } else if (cmd === 'PROFILE' && arg === 'STOP' && session && file) {
        const { profile } = await session.post('Profiler.stop');
        writeFileSync(file, JSON.stringify(profile));
        session.disconnect();
        session = undefined;
        process.stdout.write('PROFILED\n');
      }
    })().catch((e: unknown) => process.stderr.write(`scale app command '${line}' failed: ${String(e)}\n`));
  });
}

async function main(): Promise<void> {
  const [bootstrap, stateDir, applicationId, instanceId] = process.argv.slice(2);
  const logs: Log[] = [];
  serveCommands(logs, applicationId!);
  await startScaleOutProcess(buildScaleApp(applicationId!), {
    bootstrap: bootstrap!,
    log: countingConnector(kafka({ brokers: bootstrap! }), logs),
    stateDir: stateDir!,
    instanceId: instanceId!,
    sessionTimeoutMs: 10_000,
    commitIntervalMs: 100, // the runtime's default: the bench measures what an application gets
  });
}

runIfMain(import.meta.url, main);
