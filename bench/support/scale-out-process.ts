/**
 * One process of a scale-out application, run as a child by the scale bench (bench/scale.ts) and
 * by the scale-out and standby tests (test/connectors/kafka/fixtures): how it starts and what it
 * tells its parent on stdout, one line each:
 *
 *   READY                   started (joined the group, tasks assigned)
 *   REBALANCE {json}        after each rebalance: the RebalanceInfo
 *   FAILED <name>: <msg>    an error stopped it (e.g. ProducerFencedError for a zombie); it exits 3,
 *                           the stack on stderr
 *
 * SIGTERM closes it cleanly (exit 0; 1 when closing failed). Here in bench/support, the lower of
 * the two: tests import bench/support, never the other way round.
 */
import { pathToFileURL } from 'node:url';
import { kafka } from '../../src/connectors/index.js';
import type { RuntimeOptions, StreamsApp } from '../../src/index.js';

/** Exit code of a process an error stopped. */
export const FAILED_EXIT_CODE = 3;

export interface ScaleOutProcessOptions extends Omit<RuntimeOptions, 'scaleOut' | 'onRebalance' | 'onError' | 'instanceId' | 'stateDir'> {
  /** Bootstrap servers of the Kafka-protocol log; used when `log` is not given. */
  readonly bootstrap: string;
  readonly stateDir: string;
  readonly instanceId: string;
}

/**
 * Starts `app` with scaleOut on the Kafka-protocol log (`kafka({ brokers: bootstrap })` unless
 * `log` is given), then prints READY. Group session 6 s and commits every 50 ms unless set, so a
 * killed process's partitions move soon.
 */
export async function startScaleOutProcess(app: StreamsApp, options: ScaleOutProcessOptions): Promise<void> {
  const { bootstrap, ...rest } = options;
  process.on('SIGTERM', () => {
    void app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  await app.start({
    log: kafka({ brokers: bootstrap }),
    sessionTimeoutMs: 6_000,
    commitIntervalMs: 50,
    ...rest,
    scaleOut: true,
    onRebalance: (info) => process.stdout.write(`REBALANCE ${JSON.stringify(info)}\n`),
    onError: (e) => {
      const error = e instanceof Error ? e : new Error(String(e));
      process.stdout.write(`FAILED ${error.name}: ${error.message}\n`);
      process.stderr.write(`${options.instanceId} failed: ${error.stack}\n`);
      process.exit(FAILED_EXIT_CODE);
    },
  });
  process.stdout.write('READY\n');
}

/** Runs `main` when the module at `moduleUrl` (its import.meta.url) is the process's entry point. */
export function runIfMain(moduleUrl: string, main: () => Promise<void>): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
