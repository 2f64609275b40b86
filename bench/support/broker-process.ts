/**
 * `tributary broker` for the broker bench and profiling, without the CLI: starts the broker on
 * PORT over DATA_DIR with fsync 'never' (Kafka's default: no flush per acknowledgement, only on
 * segment roll) and quiet logs, prints "listening <port>" once it serves, closes on SIGTERM.
 *
 *   node --import tsx bench/support/broker-process.ts PORT DATA_DIR [PARTITIONS]
 */
import { startBroker, silentBrokerLogger } from '../../src/broker/index.js';
import { silentLogger } from '../../src/log/index.js';

const [port, dataDir, partitions] = process.argv.slice(2);
const broker = await startBroker({
  port: Number(port),
  dataDir: dataDir!,
  defaultPartitions: Number(partitions ?? 1),
  logger: silentBrokerLogger,
  logOptions: { logger: silentLogger, fsync: 'never' },
});
process.stdout.write(`listening ${broker.port}\n`);
process.once('SIGTERM', () => {
  void broker.close().then(() => process.exit(0));
});
