import { InvalidArgumentError, type Command } from 'commander';
import { startBroker } from '../../broker/index.js';
import { stderrLogger, type FsyncPolicy } from '../../log/index.js';
import { positiveInt } from '../options.js';
import type { GlobalOptions } from '../main.js';

interface BrokerCommandOptions {
  host: string;
  port: number;
  advertisedHost?: string;
  advertisedPort?: number;
  numPartitions: number;
  autoCreateTopics: boolean;
  fsync: FsyncPolicy;
}

function port(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError(`${name} must be a port number in [0, 65535], got '${value}'`);
    return Number(value);
  };
}

function fsyncPolicy(value: string): FsyncPolicy {
  if (value !== 'always' && value !== 'interval' && value !== 'never') {
    throw new InvalidArgumentError(`--fsync must be always, interval or never, got '${value}'`);
  }
  return value;
}

/** Resolves on the first SIGINT or SIGTERM; a second one while closing exits at once. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export function registerBroker(program: Command, globals: () => GlobalOptions): void {
  program
    .command('broker')
    .description('serve the embedded log over the Kafka protocol: any Kafka client can produce and consume')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', port('--port'), 9092)
    .option('--advertised-host <host>', 'host clients are told to connect to (default: --host)')
    .option('--advertised-port <port>', 'port clients are told to connect to (default: the bound port)', port('--advertised-port'))
    .option('--num-partitions <n>', 'partitions of auto-created topics', positiveInt('--num-partitions'), 1)
    .option('--no-auto-create-topics', 'answer UNKNOWN_TOPIC_OR_PARTITION for unknown topics instead of creating them')
    .option('--fsync <policy>', 'always: acknowledge after fdatasync; interval: fdatasync every second; never', fsyncPolicy, 'interval')
    .addHelpText(
      'after',
      '\nThe data directory is the global --data-dir (or TRIBUTARY_DATA_DIR). Stop with Ctrl-C or SIGTERM: the log closes cleanly.' +
        '\n\nExamples:\n  tributary broker\n  tributary broker --port 9093 --data-dir /var/lib/tributary --advertised-host broker.local',
    )
    .action(async (opts: BrokerCommandOptions) => {
      const { dataDir } = globals();
      const signal = untilSignal();
      const broker = await startBroker({
        dataDir,
        host: opts.host,
        port: opts.port,
        ...(opts.advertisedHost !== undefined ? { advertisedHost: opts.advertisedHost } : {}),
        ...(opts.advertisedPort !== undefined ? { advertisedPort: opts.advertisedPort } : {}),
        defaultPartitions: opts.numPartitions,
        autoCreateTopics: opts.autoCreateTopics,
        logOptions: { logger: stderrLogger, fsync: opts.fsync },
      });
      const hostPort = opts.host.includes(':') ? `[${opts.host}]:${broker.port}` : `${opts.host}:${broker.port}`;
      process.stderr.write(`Tributary broker listening on ${hostPort}\n`);
      const got = await signal;
      process.stderr.write(`Tributary broker stopping (${got})\n`);
      await broker.close();
    });
}
