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
import { nexmarkEvents, queryNamed } from '../nexmark/queries/index.js';

export interface TributaryKafkaRun {
  readonly seconds: number;
  /** CPU time (user + system) of this process over app.run(), startup of the application included. */
  readonly cpu_seconds: number;
  readonly outputs: number;
}

export class UnknownQueryError extends Error {
  readonly code = 'UNKNOWN_QUERY';
}

export async function runQueryOnKafka(bootstrap: string, input: string, name: string, output: string, appId: string): Promise<TributaryKafkaRun> {
  const query = queryNamed(name);
  if (!query) throw new UnknownQueryError(`no query ${name}`);
  const stateDir = mkdtempSync(join(tmpdir(), 'tributary-peer-state-'));
  try {
    // Idleness is a wall-clock rule; a starved partition on a loaded machine must not turn idle.
    const app = new StreamsApp({ applicationId: appId, idleTimeout: '1h' });
    query.build(nexmarkEvents(app, input), output);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const summary = await app.run({ until: 'end', log: kafka({ brokers: bootstrap }), stateDir });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { seconds, cpu_seconds: (cpu.user + cpu.system) / 1e6, outputs: summary.recordsOut[output] ?? 0 };
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}
