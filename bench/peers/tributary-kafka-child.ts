/**
 * Tributary's side of the Kafka peers, one run in a process of its own (a clean heap, its own CPU
 * time): node --import tsx bench/peers/tributary-kafka-child.ts <bootstrap> <input> <query> <output> <appId> [log|memory]
 * (tributary-kafka-run.ts; the last argument overrides the query's keyBy exchange, kafkaRunExchange).
 * Prints {"seconds","cpu_seconds","outputs","exchange"}.
 */
import { runQueryOnKafka, type KafkaRunExchange } from './tributary-kafka-run.js';

const [bootstrap, input, name, output, appId, exchange] = process.argv.slice(2);
if (!bootstrap || !input || !name || !output || !appId || (exchange !== undefined && exchange !== 'log' && exchange !== 'memory')) {
  process.stderr.write('usage: tributary-kafka-child.ts <bootstrap> <input> <query> <output> <appId> [log|memory]\n');
  process.exit(2);
}
process.stdout.write(JSON.stringify(await runQueryOnKafka(bootstrap, input, name, output, appId, exchange as KafkaRunExchange | undefined)) + '\n');
