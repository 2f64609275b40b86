/**
 * A peer process whose timed runs are paced by its stdin (paced-process.ts) and each print one
 * JSON line ({"seconds","cpu_seconds",...}): the Kafka Streams JVM in `paced` mode and Tributary's
 * tributary-kafka-paced-child.ts, so bench/peers/kafka-peers.ts can alternate their runs.
 */
import { PacedProcess } from './paced-process.js';

export class PacedRunError extends Error {
  readonly code = 'PACED_RUN_FAILED';
}

export class PacedRuns<T> {
  private readonly proc: PacedProcess;
  private readonly results: T[] = [];
  private started = 0;

  /** @param who names the process in errors ("Kafka Streams peer", "Tributary's process"). */
  constructor(command: string[], who: string) {
    const onLine = (l: string): boolean => {
      if (!l.startsWith('{')) return false;
      this.results.push(JSON.parse(l) as T);
      return true;
    };
    this.proc = new PacedProcess(command, onLine, (m) => new PacedRunError(`${who} ${m}`));
  }

  /** Starts the next run and waits for its line. */
  async run(): Promise<T> {
    const n = ++this.started;
    this.proc.go();
    await this.proc.until(() => this.results.length >= n, `run ${n} ended`);
    return this.results[n - 1]!;
  }

  close(): Promise<void> {
    return this.proc.close();
  }

  kill(): void {
    this.proc.kill();
  }
}
