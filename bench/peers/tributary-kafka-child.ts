/**
 * Tributary's side of the Kafka peers, one run in a process of its own (a clean heap, its own CPU
 * time): node --import tsx bench/peers/tributary-kafka-child.ts <bootstrap> <input> <query> <output> <appId>
 * The benchmark's own query code (bench/nexmark/queries) on `kafka({ brokers })`, exactly-once,
 * a bounded run over the input as it is at the start. Prints {"seconds","cpu_seconds","outputs"}.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamsApp, kafka } from '../../src/index.js';
import { nexmarkEvents, queryNamed } from '../nexmark/queries/index.js';

const [bootstrap, input, name, output, appId] = process.argv.slice(2);
const query = queryNamed(name ?? '');
if (!bootstrap || !input || !query || !output || !appId) {
  process.stderr.write('usage: tributary-kafka-child.ts <bootstrap> <input> <query> <output> <appId>\n');
  process.exit(2);
}
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
  process.stdout.write(JSON.stringify({ seconds, cpu_seconds: (cpu.user + cpu.system) / 1e6, outputs: summary.recordsOut[output] ?? 0 }) + '\n');
} finally {
  rmSync(stateDir, { recursive: true, force: true });
}
