/**
 * A peer's long-lived timing process, paced by its stdin: it prints what it has (lines on stdout),
 * then starts each timed run only when it reads a "go" line, so the caller can alternate two
 * systems' runs under the same machine load. The Flink JVM (flink-session.ts) and Tributary's
 * timing process (tributary-session.ts) both work this way.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

export class PacedProcess {
  private readonly proc: ChildProcessWithoutNullStreams;
  private stderrTail = '';
  private waiting: (() => void) | undefined;
  private exited: string | undefined;

  /**
   * @param onLine takes one line of stdout; returns whether it changed what a waiter may be waiting for.
   * @param fail makes the error thrown when the process exits before `what` happened.
   */
  constructor(command: string[], onLine: (line: string) => boolean, private readonly fail: (message: string) => Error) {
    const [cmd, ...args] = command;
    this.proc = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.proc.stdout }).on('line', (l) => {
      if (onLine(l)) this.wake();
    });
    // the end is kept for the error message
    this.proc.stderr.setEncoding('utf8').on('data', (d: string) => (this.stderrTail = (this.stderrTail + d).slice(-4000)));
    // 'close', not 'exit': every line of its stdout has been read by then
    this.proc.on('close', (code, signal) => {
      this.exited = String(code ?? signal ?? 'unknown');
      this.wake();
    });
    // a process that dies while we write "go" must surface as its exit, not as an unhandled EPIPE
    this.proc.stdin.on('error', () => undefined);
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }

  /** Waits until `done()` holds; throws if the process exits first. */
  async until(done: () => boolean, what: string): Promise<void> {
    while (!done()) {
      if (this.exited !== undefined) throw this.fail(`exited (${this.exited}) before ${what}: ${this.stderrTail}`);
      await new Promise<void>((r) => (this.waiting = r));
    }
  }

  /** Starts the next timed run. */
  go(): void {
    this.proc.stdin.write('go\n');
  }

  /** Ends its stdin (it exits once no run is left to wait for) and waits for it. */
  async close(): Promise<void> {
    this.proc.stdin.end();
    if (this.exited === undefined) await this.until(() => this.exited !== undefined, 'it exited').catch(() => undefined);
  }

  /** Kills it (after a failure elsewhere). */
  kill(): void {
    if (this.exited === undefined) this.proc.kill('SIGKILL');
  }
}
