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
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KafkaScriptError,
  down,
  kafkaAvailable as toolsAvailable,
  killNode,
  killSync,
  nodeLogTail,
  status,
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

export const TEST_RUN_DIR_PREFIX = 'tributary-kafka-test-';

export async function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => res(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => res(true)));
  });
}

/**
 * A free block of 3 broker + 3 controller ports among 40 blocks from 39092 up. Test files run in
 * parallel processes, so each starts probing at a block chosen by its pid: two files that probe at
 * the same moment would otherwise both find the first block free.
 */
export async function pickTestPorts(): Promise<{ brokerPort: number; controllerPort: number }> {
  for (let i = 0; i < 40; i++) {
    const base = 39092 + 20 * ((process.pid + i) % 40);
    const ports = [0, 1, 2, 10, 11, 12].map((d) => base + d);
    const free = await Promise.all(ports.map(portFree));
    if (free.every(Boolean)) return { brokerPort: base, controllerPort: base + 10 };
  }
  throw new Error('no free block of ports in 39092-39892');
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kill and remove the clusters of earlier test runs whose process is gone (SIGKILLed). */
export function reapStaleTestClusters(): void {
  for (const name of readdirSync(tmpdir())) {
    const m = new RegExp(`^${TEST_RUN_DIR_PREFIX}(\\d+)-`).exec(name);
    if (!m || pidAlive(Number(m[1]))) continue;
    const runDir = join(tmpdir(), name);
    killSync({ runDir });
    rmSync(runDir, { recursive: true, force: true });
  }
}

export interface TestKafka extends ClusterInfo {
  /** SIGKILL (or another signal) one node, by id 1..brokers, and wait until its JVM is gone; returns its pid. */
  killNode(id: number, signal?: NodeJS.Signals): Promise<number>;
  /** Start again every node that is not running (same ports, config and data) and wait until all serve Metadata. */
  restartNodes(): Promise<ClusterInfo>;
  stop(): Promise<void>;
}

/**
 * A cluster of this test file's own: free ports, a run dir under the OS temp dir, JVMs killed when the
 * process exits whatever happens. Call `stop()` in an after() hook.
 */
export async function startTestKafka(opts: { brokers: number }): Promise<TestKafka> {
  reapStaleTestClusters();
  // A KRaft node can die in its very first start-up (a fatal fault under load, seen once in CI in
  // many runs): one more try with a fresh cluster on fresh ports; any other failure is reported as is.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startTestKafkaOnce(opts);
    } catch (e) {
      if (attempt >= 2 || !(e instanceof KafkaScriptError) || !e.message.includes('exited during start-up')) throw e;
      process.stderr.write(`# test Kafka: ${e.message}; starting a fresh cluster\n`);
    }
  }
}

async function startTestKafkaOnce(opts: { brokers: number }): Promise<TestKafka> {
  const ports = await pickTestPorts();
  const runDir = mkdtempSync(join(tmpdir(), `${TEST_RUN_DIR_PREFIX}${process.pid}-`));
  const unhook = killOnExit({ runDir }, { removeRunDir: true });
  const spec = { brokers: opts.brokers, runDir, ...ports };
  let info: ClusterInfo;
  try {
    info = await ensureKafka(spec);
  } catch (e) {
    // ensureKafka killed what it launched; the run dir goes too (its logs are quoted in the error).
    unhook();
    rmSync(runDir, { recursive: true, force: true });
    throw e;
  }
  // Nodes the test stopped on purpose; any other node found down at the end died by itself, and its
  // log's tail goes to stderr (the run dir is removed with it).
  const stoppedOnPurpose = new Set<number>();
  return {
    ...info,
    killNode: (id, signal = 'SIGKILL') => {
      stoppedOnPurpose.add(id);
      return killNode({ ...spec, id, signal });
    },
    restartNodes: () => {
      stoppedOnPurpose.clear();
      return ensureKafka(spec);
    },
    stop: async () => {
      try {
        const st = await status({ runDir }).catch(() => undefined);
        for (const b of st?.brokers ?? []) {
          if (b.state === 'up' || stoppedOnPurpose.has(b.id)) continue;
          const what = b.state === 'down' ? 'stopped by itself during the test' : 'was running but did not answer Metadata at the end';
          process.stderr.write(`# test Kafka: node ${b.id} (pid ${b.pid}) ${what}; the end of its log:\n${nodeLogTail({ runDir }, b.id).replace(/^/gm, '#   ')}\n`);
        }
        await stopKafka({ runDir });
      } finally {
        unhook();
        rmSync(runDir, { recursive: true, force: true });
      }
    },
  };
}
