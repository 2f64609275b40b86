import { InvalidArgumentError, type Command } from 'commander';
import { startBroker } from '../../broker/index.js';
import type { FsyncPolicy } from '../../log/index.js';
import { positiveInt } from '../options.js';
import type { GlobalOptions } from '../main.js';
import type { LevelWithSilent } from 'pino';
import { brokerLoggerOf, cliLogger, defaultLogLevel, logLevel, logLoggerOf, LOG_LEVEL_HELP } from '../logging.js';
import { securityOptionsFromCli, withSecurityOptions, type SecurityCliOptions } from './broker-security.js';
import { DASHBOARD_HELP, startDashboardFromCli, withDashboardOptions, type DashboardCliOptions } from '../../dashboard/cli-options.js';

interface BrokerCommandOptions {
  host: string;
  port: number;
  advertisedHost?: string;
  advertisedPort?: number;
  numPartitions: number;
  autoCreateTopics: boolean;
  fsync: FsyncPolicy;
  offsetsRetentionMinutes: number;
  logLevel: LevelWithSilent;
}

type BrokerCliOptions = BrokerCommandOptions & SecurityCliOptions & DashboardCliOptions;

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
  const command = program
    .command('broker')
    .description('serve the embedded log over the Kafka protocol: any Kafka client can produce and consume')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', port('--port'), 9092)
    .option('--advertised-host <host>', 'host clients are told to connect to (default: --host)')
    .option('--advertised-port <port>', 'port clients are told to connect to (default: the bound port)', port('--advertised-port'))
    .option('--num-partitions <n>', 'partitions of auto-created topics', positiveInt('--num-partitions'), 1)
    .option('--no-auto-create-topics', 'answer UNKNOWN_TOPIC_OR_PARTITION for unknown topics instead of creating them')
    .option('--fsync <policy>', 'always: acknowledge after fdatasync; interval: fdatasync every second; never', fsyncPolicy, 'interval')
    .option('--offsets-retention-minutes <n>', "committed offsets of a group empty this long are removed (Kafka's offsets.retention.minutes)", positiveInt('--offsets-retention-minutes'), 10080)
    .option('--log-level <level>', 'trace, debug, info, warn, error, fatal or silent (JSON lines on stderr)', logLevel, defaultLogLevel());
  withDashboardOptions(command);
  withSecurityOptions(command)
    .addHelpText(
      'after',
      '\nThe data directory is the global --data-dir (or TRIBUTARY_DATA_DIR). Stop with Ctrl-C or SIGTERM: the log closes cleanly.' +
        '\nThe line "Tributary broker listening on HOST:PORT" always goes to stderr (scripts wait for it); ' + LOG_LEVEL_HELP + '.' +
        '\n\nExamples:\n  tributary broker\n  tributary broker --port 9093 --data-dir /var/lib/tributary --advertised-host broker.local' +
        '\n  tributary broker --host 0.0.0.0 --tls-cert broker.pem --tls-key broker.key --sasl SCRAM-SHA-256,SCRAM-SHA-512 --acls --super-users User:admin' +
        '\n\nSecurity (docs/security.md): users come from `tributary users add`, ACLs from `tributary acls add`; a plaintext listener is only allowed on loopback.' +
        `\n${DASHBOARD_HELP}`,
    )
    .action(async (opts: BrokerCliOptions) => {
      const { dataDir } = globals();
      const logger = cliLogger(opts.logLevel, 'broker');
      const signal = untilSignal();
      const broker = await startBroker({
        dataDir,
        host: opts.host,
        port: opts.port,
        ...(opts.advertisedHost !== undefined ? { advertisedHost: opts.advertisedHost } : {}),
        ...(opts.advertisedPort !== undefined ? { advertisedPort: opts.advertisedPort } : {}),
        defaultPartitions: opts.numPartitions,
        autoCreateTopics: opts.autoCreateTopics,
        offsetsRetentionMs: opts.offsetsRetentionMinutes * 60_000,
        logger: brokerLoggerOf(logger),
        logOptions: { logger: logLoggerOf(logger), fsync: opts.fsync },
        security: securityOptionsFromCli(opts),
      });
      const hostPort = opts.host.includes(':') ? `[${opts.host}]:${broker.port}` : `${opts.host}:${broker.port}`;
      process.stderr.write(`Tributary broker listening on ${hostPort}\n`);
      logger.info({ host: opts.host, port: broker.port, dataDir }, 'broker listening');
      const dashboard = await startDashboardFromCli(opts, { broker }).catch(async (e: unknown) => {
        await broker.close();
        throw e;
      });
      const got = await signal;
      process.stderr.write(`Tributary broker stopping (${got})\n`);
      logger.info({ signal: got }, 'broker stopping');
      await dashboard?.close();
      await broker.close();
      logger.info('broker closed');
    });
}
