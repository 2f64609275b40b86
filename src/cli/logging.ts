import { InvalidArgumentError } from 'commander';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import type { BrokerLogger } from '../broker/index.js';
import type { LogLogger } from '../log/index.js';

export const LOG_LEVELS: readonly LevelWithSilent[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
export const DEFAULT_LOG_LEVEL: LevelWithSilent = 'info';

export const LOG_LEVEL_HELP = `--log-level: ${LOG_LEVELS.join(', ')} (default ${DEFAULT_LOG_LEVEL}; or TRIBUTARY_LOG_LEVEL); logs are JSON lines on stderr`;

/** commander parser for `--log-level`. */
export function logLevel(value: string): LevelWithSilent {
  const v = value.toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(v)) {
    throw new InvalidArgumentError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got '${value}'`);
  }
  return v as LevelWithSilent;
}

export function defaultLogLevel(): LevelWithSilent {
  const env = process.env.TRIBUTARY_LOG_LEVEL;
  return env !== undefined && (LOG_LEVELS as readonly string[]).includes(env.toLowerCase()) ? (env.toLowerCase() as LevelWithSilent) : DEFAULT_LOG_LEVEL;
}

/**
 * The structured logger of a long-running command: JSON lines on stderr (stdout stays for results
 * and `--json`), written synchronously so nothing is lost when the process exits right after.
 */
export function cliLogger(level: LevelWithSilent, command: string): Logger {
  return pino({ level, base: { pid: process.pid, command } }, pino.destination({ dest: 2, sync: true }));
}

/** The embedded log's own messages (torn tails cut, indexes rebuilt, segments deleted) as log lines. */
export function logLoggerOf(logger: Logger): LogLogger {
  const child = logger.child({ component: 'log' });
  return { info: (m) => child.info(m), warn: (m) => child.warn(m) };
}

/** The broker's messages (connections refused, transactions timed out) as log lines. */
export function brokerLoggerOf(logger: Logger): BrokerLogger {
  const child = logger.child({ component: 'broker' });
  return { info: (m) => child.info(m), warn: (m) => child.warn(m) };
}
