// Test helper: a real Apache Kafka cluster on loopback, through the same code as
// `npm run kafka -- up` (scripts/kafka/cluster.ts).
//
//   const avail = kafkaAvailable();
//   test('...', { skip: avail.ok ? false : avail.why }, async () => {
//     const { bootstrap } = await ensureKafka({ brokers: 1 });
//     ...
//   });
//
// ensureKafka reuses a cluster that is already up with the same settings (default run dir
// <repo>/.kafka, ports 19092/19192, or TRIBUTARY_KAFKA_* env), so test files can share one; it
// leaves the cluster running (stop it with `npm run kafka -- down` or stopKafka()). A test that
// wants its own cluster passes runDir and ports, and stops it with stopKafka() in an after() hook.
import { rmSync } from 'node:fs';
import {
  down,
  kafkaAvailable as toolsAvailable,
  killSync,
  up,
  type ClusterInfo,
  type DownResult,
  type KafkaClusterOptions,
} from '../../scripts/kafka/cluster.js';

export type { ClusterInfo, DownResult, KafkaClusterOptions };
export { killSync };

/** java 17+ and mvn (or an already fetched jar cache) are present. */
export function kafkaAvailable(opts: KafkaClusterOptions = {}): { ok: boolean; why?: string } {
  return toolsAvailable(opts);
}

/** Bring the cluster up (or reuse it) and return its bootstrap servers. Progress is quiet unless KAFKA_VERBOSE is set. */
export async function ensureKafka(opts: KafkaClusterOptions & { brokers: number }): Promise<ClusterInfo> {
  return up({
    ...opts,
    log: opts.log ?? (process.env.KAFKA_VERBOSE ? (l) => process.stderr.write(`kafka: ${l}\n`) : () => {}),
  });
}

/** Stop the cluster of that run dir and remove its data. */
export async function stopKafka(opts: KafkaClusterOptions & { graceMs?: number } = {}): Promise<DownResult> {
  return down(opts);
}

/**
 * Make sure the JVMs of a run dir die with this process even when the test fails hard:
 * SIGKILLs them on process exit and on SIGINT/SIGTERM (and removes the run dir with
 * removeRunDir). Returns a function that removes the hooks.
 */
export function killOnExit(opts: KafkaClusterOptions & { runDir: string }, how: { removeRunDir?: boolean } = {}): () => void {
  const kill = (): void => {
    killSync(opts);
    if (how.removeRunDir) rmSync(opts.runDir, { recursive: true, force: true });
  };
  const onExit = (): void => {
    kill();
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    kill();
    process.removeListener(sig, onSignal);
    process.kill(process.pid, sig);
  };
  process.on('exit', onExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.removeListener('exit', onExit);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
}
