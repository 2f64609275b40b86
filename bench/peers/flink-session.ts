/**
 * A Flink peer JVM in paced mode (FlinkNexmark `paced`): it computes the query's final rows over
 * the agreement file, then starts each timed run only when told to (a line on its stdin). One JVM
 * for all of a query's runs, as before (its later runs JIT-warm), but the caller can run
 * Tributary between them, so the two systems' runs alternate under the same machine load instead
 * of Flink's R runs all coming before Tributary's R.
 */
import { PacedProcess } from './paced-process.js';
import { flinkCommand, type FlinkTiming } from './flink.js';

export class FlinkSessionError extends Error {
  readonly code = 'FLINK_SESSION_FAILED';
}

export class FlinkSession {
  private readonly proc: PacedProcess;
  private readonly rowsLines: unknown[][] = [];
  private readonly timings: FlinkTiming[] = [];
  private inTime = false;
  private started = 0;

  /** Starts the JVM: `repeats` timed runs over `file` after the rows over `agreeFile`. */
  constructor(classpath: string, query: string, agreeFile: string, file: string, repeats: number, cpu: string | undefined) {
    const onLine = (l: string): boolean => {
      if (l === '# time') this.inTime = true;
      else if (!this.inTime && l.startsWith('[')) this.rowsLines.push(JSON.parse(l) as unknown[]);
      else if (this.inTime && l.startsWith('{')) this.timings.push(JSON.parse(l) as FlinkTiming);
      else return false;
      return true;
    };
    this.proc = new PacedProcess(flinkCommand(classpath, [file, query, 'paced', String(repeats), agreeFile], cpu), onLine, (m) => new FlinkSessionError(`Flink peer ${m}`));
  }

  /** Flink's final result table over the agreement file (its changelog applied). */
  async rows(): Promise<unknown[][]> {
    await this.proc.until(() => this.inTime, 'its rows were printed');
    return this.rowsLines;
  }

  /** Starts Flink's next timed run and waits for its timing. */
  async timedRun(): Promise<FlinkTiming> {
    await this.rows();
    const n = ++this.started;
    this.proc.go();
    await this.proc.until(() => this.timings.length >= n, `timed run ${n} ended`);
    return this.timings[n - 1]!;
  }

  /** Ends the JVM (end of stdin: it exits once no run is left to wait for) and waits for it. */
  close(): Promise<void> {
    return this.proc.close();
  }

  /** Kills the JVM (after a failure elsewhere). */
  kill(): void {
    this.proc.kill();
  }
}
