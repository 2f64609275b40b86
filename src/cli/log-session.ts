import { LogManager } from '../log/log-manager.js';
import { stderrLogger } from '../log/logger.js';

/**
 * Opens the embedded log for one CLI command and always closes it, so a failing command still
 * releases the data-directory lock and leaves a clean-shutdown marker.
 */
export async function withLog<T>(dataDir: string, work: (log: LogManager) => Promise<T>): Promise<T> {
  const log = await LogManager.open({
    dataDir,
    logger: stderrLogger,
    // A CLI command lives for moments: background retention/cleaning would only delay its exit.
    retentionCheckIntervalMs: 0,
    cleanerIntervalMs: 0,
  });
  try {
    return await work(log);
  } finally {
    await log.close();
  }
}
