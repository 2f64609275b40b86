/**
 * One run of a Nexmark query by Tributary on a real Kafka broker: the benchmark's own query code
 * (bench/nexmark/queries) on `kafka({ brokers })`, exactly-once, a bounded run over the input as it
 * is at the start, with a fresh application id and state dir. Shared by the one-run child
 * (tributary-kafka-child.ts) and the paced one (tributary-kafka-paced-child.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamsApp, kafka } from '../../src/index.js';
import { buildQuery, queryNamed } from '../nexmark/queries/index.js';

/** How a run's keyBy records go: through the repartition topic on Kafka ('log') or in memory ('memory'). */
export type KafkaRunExchange = 'log' | 'memory';

/**
 * The queries whose Kafka Streams topology has no repartition topic where Tributary's has a keyBy.
 * q7's per-window maximum is global: Tributary's process() needs a keyed stream, so every bid is
 * keyed to one key (keyBy(() => 0)), which on Kafka writes and reads back a repartition topic
 * (half of Tributary's q7 CPU time); Kafka Streams' q7 is a process() on the one-partition input
 * itself, one task seeing every bid, no topic between. For these queries Tributary's keyBy goes in
 * memory (localRepartition, the option of a run whose one process runs every task), so both sides
 * do the same work: read the input topic, keep the windows in a store with its changelog, write
 * the output topic, exactly-once. On q3, q4, q5 and q8 both sides write their repartition topics.
 */
export const NO_PEER_REPARTITION: ReadonlySet<string> = new Set(['q7']);

/** The exchange of `query`'s runs against the Kafka peers: memory for NO_PEER_REPARTITION, else log. */
export function kafkaRunExchange(query: string): KafkaRunExchange {
  return NO_PEER_REPARTITION.has(query) ? 'memory' : 'log';
}

export interface TributaryKafkaRun {
  readonly seconds: number;
  /** CPU time (user + system) of this process over app.run(), startup of the application included. */
  readonly cpu_seconds: number;
  readonly outputs: number;
  readonly exchange: KafkaRunExchange;
}

export class UnknownQueryError extends Error {
  readonly code = 'UNKNOWN_QUERY';
}

export async function runQueryOnKafka(bootstrap: string, input: string, name: string, output: string, appId: string, exchange = kafkaRunExchange(name)): Promise<TributaryKafkaRun> {
  const query = queryNamed(name);
  if (!query) throw new UnknownQueryError(`no query ${name}`);
  const stateDir = mkdtempSync(join(tmpdir(), 'tributary-peer-state-'));
  try {
    // Idleness is a wall-clock rule; a starved partition on a loaded machine must not turn idle.
    const app = new StreamsApp({ applicationId: appId, idleTimeout: '1h' });
    buildQuery(app, query, output, { topic: input });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const summary = await app.run({ until: 'end', log: kafka({ brokers: bootstrap }), stateDir, localRepartition: exchange === 'memory' });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { seconds, cpu_seconds: (cpu.user + cpu.system) / 1e6, outputs: summary.recordsOut[output] ?? 0, exchange };
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}
