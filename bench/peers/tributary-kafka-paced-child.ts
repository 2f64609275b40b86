/**
 * Tributary's side of the Kafka Streams comparison as one long-lived process, as Kafka Streams'
 * side is one JVM (paced-process.ts):
 *   node --import tsx bench/peers/tributary-kafka-paced-child.ts <bootstrap> <input> <query> <output> <appId>
 * Each line on stdin starts run i (0, 1, ...): the query over the input topic with application id
 * <appId>-<i> into <output>-<i> (made here, kept forever: its records carry the events' 2015
 * times, which time-based retention would delete), printing the run's
 * {"seconds","cpu_seconds","outputs"} as one JSON line; it exits at the end of stdin. Only the
 * process, and so its JIT-compiled code, is kept from run to run, as the JVM keeps Kafka Streams'.
 */
import { createInterface } from 'node:readline';
import { kafka } from '../../src/index.js';
import { runQueryOnKafka } from './tributary-kafka-run.js';

const [bootstrap, input, name, output, appId] = process.argv.slice(2);
if (!bootstrap || !input || !name || !output || !appId) {
  process.stderr.write('usage: tributary-kafka-paced-child.ts <bootstrap> <input> <query> <output> <appId>\n');
  process.exit(2);
}
let i = 0;
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue;
  const out = `${output}-${i}`;
  const admin = await kafka({ brokers: bootstrap, clientId: 'tributary-bench-peers' }).connect();
  try {
    await admin.createTopics([{ name: out, partitions: 1, config: { 'retention.ms': -1 } }]);
  } finally {
    await admin.close();
  }
  process.stdout.write(JSON.stringify(await runQueryOnKafka(bootstrap, input, name, out, `${appId}-${i}`)) + '\n');
  i++;
}
