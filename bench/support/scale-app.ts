/**
 * One process of the scale bench (bench/scale.ts): the windowed count (keyBy + 1 s tumbling
 * count, exactly-once) with scaleOut on a log of the Kafka protocol.
 *
 *   node --import tsx bench/support/scale-app.ts <bootstrap> <stateDir> <applicationId> <instanceId>
 *
 * Input `<applicationId>-in` (null keys, 8-byte values: uint32 key id, uint32 amount; event time =
 * record timestamp), output `<applicationId>-out` (windowed(string) keys, JSON counts). Prints
 * READY once started and `REBALANCE {json}` after each rebalance; SIGTERM closes it cleanly.
 */
import { pathToFileURL } from 'node:url';
import { StreamsApp, custom, json, string, tumbling, type Serde } from '../../src/index.js';
import { kafka } from '../../src/connectors/index.js';

export const WINDOW_MS = 1_000;

export interface ScaleEvent {
  k: number;
  a: number;
}

export const scaleEventSerde: Serde<ScaleEvent> = custom<ScaleEvent>({
  name: 'scale-event',
  serialize: (v) => {
    const b = Buffer.allocUnsafe(8);
    b.writeUInt32BE(v.k, 0);
    b.writeUInt32BE(v.a, 4);
    return b;
  },
  deserialize: (b) => ({ k: b.readUInt32BE(0), a: b.readUInt32BE(4) }),
});

export const inputTopic = (app: string): string => `${app}-in`;
export const outputTopic = (app: string): string => `${app}-out`;

export function buildScaleApp(applicationId: string): StreamsApp {
  // Idleness is a wall-clock feature: a starved partition on a loaded machine must not turn idle
  // and make the others' records late (the bench feeds every partition evenly).
  const app = new StreamsApp({ applicationId, idleTimeout: '1h' });
  app
    .stream(inputTopic(applicationId), { value: scaleEventSerde })
    .keyBy((e) => `k${e.k}`, { key: string() })
    .window(tumbling(WINDOW_MS))
    .count()
    .toStream()
    .to(outputTopic(applicationId), { value: json() });
  return app;
}

async function main(): Promise<void> {
  const [bootstrap, stateDir, applicationId, instanceId] = process.argv.slice(2);
  const app = buildScaleApp(applicationId!);
  process.on('SIGTERM', () => {
    void app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  await app.start({
    log: kafka({ brokers: bootstrap! }),
    stateDir: stateDir!,
    instanceId: instanceId!,
    scaleOut: true,
    sessionTimeoutMs: 10_000,
    onRebalance: (info) => process.stdout.write(`REBALANCE ${JSON.stringify(info)}\n`),
    onError: (e) => {
      process.stderr.write(`scale app ${instanceId} failed: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(3);
    },
  });
  process.stdout.write('READY\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
