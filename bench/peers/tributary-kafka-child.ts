/**
 * Tributary's side of the Kafka peers, one run in a process of its own (a clean heap, its own CPU
 * time): node --import tsx bench/peers/tributary-kafka-child.ts <bootstrap> <input> <query> <output> <appId>
 * (tributary-kafka-run.ts). Prints {"seconds","cpu_seconds","outputs"}.
 */
import { runQueryOnKafka } from './tributary-kafka-run.js';

const [bootstrap, input, name, output, appId] = process.argv.slice(2);
if (!bootstrap || !input || !name || !output || !appId) {
  process.stderr.write('usage: tributary-kafka-child.ts <bootstrap> <input> <query> <output> <appId>\n');
  process.exit(2);
}
process.stdout.write(JSON.stringify(await runQueryOnKafka(bootstrap, input, name, output, appId)) + '\n');
