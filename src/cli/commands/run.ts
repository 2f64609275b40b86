import type { Command } from 'commander';
import type { LevelWithSilent } from 'pino';
import { embedded } from '../../connectors/embedded/index.js';
import { kafka } from '../../connectors/kafka/index.js';
import type { LogConnector } from '../../connectors/log.js';
import { LogManager } from '../../log/log-manager.js';
import { EXIT_INTERRUPTED, EXIT_TERMINATED } from '../exit-codes.js';
import { cliLogger, defaultLogLevel, logLevel, logLoggerOf, LOG_LEVEL_HELP } from '../logging.js';
import { UsageError } from '../errors.js';
import { durationMillis, positiveInt } from '../options.js';
import type { StreamsApp } from '../../engine/app.js';
import { showLiveStatus } from '../run/live-status.js';
import { RunFailure, reportText, runApp, type RunReport } from '../run/run-app.js';
import type { GlobalOptions } from '../main.js';
import { DASHBOARD_HELP, startDashboardFromCli, withDashboardOptions, type DashboardCliOptions } from '../../dashboard/cli-options.js';

interface RunCommandOptions extends DashboardCliOptions {
  duration?: number;
  brokers?: string;
  threads?: number;
  logLevel: LevelWithSilent;
}

/**
 * `tributary run app.ts`: runs an application file directly (TypeScript, no build step) by the
 * contract of src/engine/app-module.ts, on the embedded log in --data-dir.
 */
export function registerRun(program: Command, globals: () => GlobalOptions): void {
  const command = program
    .command('run')
    .description('run a TypeScript application file (default export: ctx => StreamsApp; optional generate(ctx)) until --duration or Ctrl-C')
    .argument('<file>', 'the application file, e.g. app.ts')
    .argument('[args...]', 'arguments for the application after --, in ctx.args')
    .option('--duration <d>', 'stop after this long, e.g. 30s or 2m (default: until Ctrl-C or SIGTERM)', durationMillis('--duration'))
    .option('--brokers <host:port,...>', 'run on a Kafka cluster or `tributary broker` (kafka({ brokers })) instead of the embedded log in --data-dir')
    .option('--threads <n>', 'run the app on n worker threads of this process (embedded log only; Kafka Streams\' num.stream.threads): each runs its share of the partitions', positiveInt('--threads'))
    .option('--log-level <level>', 'trace, debug, info, warn, error, fatal or silent', logLevel, defaultLogLevel());
  withDashboardOptions(command)
    .addHelpText(
      'after',
      '\nThe file\'s default export gets a RunContext {log, dataDir, durationMs, signal, args} and returns an' +
        '\nunstarted StreamsApp built on ctx.log; an exported `generate(ctx)` runs beside it until ctx.signal aborts.' +
        '\n`import ... from \'tributary\'` in the file resolves to this installation.' +
        '\nOn a terminal (and without --json) stderr shows a progress bar while state restores, then a status line' +
        '\nwith records in/out and their rates. At the end a summary goes to stdout; with --json one object:' +
        '\n  {"application_id","stopped_by","duration_ms","cpu_ms","records_in","records_out","late_records",' +
        '\n   "dead_lettered","commits","restored_records","restore_ms"}' +
        `\n${LOG_LEVEL_HELP}` +
        `\n${DASHBOARD_HELP}` +
        '\nExit codes: 0 stopped by --duration, 130 by SIGINT (Ctrl-C), 143 by SIGTERM (all after a clean close);' +
        '\n  2 no such file; 1 the file does not load, exports the wrong thing, or the app failed.' +
        '\n\nExamples:\n  tributary run app.ts\n  tributary run app.ts --duration 30s --json\n  tributary run app.ts --threads 2\n  tributary run app.ts --brokers 127.0.0.1:9092\n  tributary run app.ts --brokers 127.0.0.1:9092 --ui-port 8081 --ui-token \"$TOKEN\"   # one of several scaleOut processes\n  tributary run app.ts --data-dir ./data -- --rate 5000',
    )
    .action(async (file: string, args: string[], opts: RunCommandOptions) => {
      const { dataDir, json } = globals();
      if (opts.threads !== undefined && opts.brokers !== undefined) throw new UsageError('--threads runs on the embedded log; on a Kafka cluster, run several processes (scaleOut) instead');
      if (opts.threads !== undefined && opts.uiPort !== undefined) throw new UsageError('--threads and --ui-port: the dashboard watches one app, not one per thread; leave one out');
      const logger = cliLogger(opts.logLevel, 'run');
      // The embedded log is opened here (and closed after the app), so a locked data directory fails
      // before the app is built; with --brokers the data directory is only the app's own place.
      const manager = opts.brokers === undefined ? await LogManager.open({ dataDir, logger: logLoggerOf(logger) }) : undefined;
      const log: LogConnector = manager ? embedded({ manager }) : kafka({ brokers: opts.brokers!, clientId: 'tributary-run' });
      let report: RunReport | undefined;
      let failure: unknown;
      try {
        report = await runApp({
          file,
          log,
          dataDir,
          durationMs: opts.duration,
          args,
          logger,
          ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
          dashboard: (app) => startDashboardFromCli(opts, { app, log: manager }),
          // A terminal gets a status line with rates; pipes and --json get only the summary.
          ...(!json && process.stderr.isTTY === true ? { watch: (app: StreamsApp) => showLiveStatus(app) } : {}),
        });
      } catch (e) {
        if (!(e instanceof RunFailure)) throw e;
        report = e.report;
        failure = e.failure;
      } finally {
        await manager?.close();
      }
      if (report) process.stdout.write(json ? `${JSON.stringify(report)}\n` : reportText(report));
      if (failure !== undefined) throw failure;
      if (report?.stopped_by === 'SIGINT') process.exitCode = EXIT_INTERRUPTED;
      else if (report?.stopped_by === 'SIGTERM') process.exitCode = EXIT_TERMINATED;
    });
}
