import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './run-cli.js';

/**
 * A `tributary` subprocess that keeps running: its output so far, a wait for a line on stderr,
 * signals, and its exit code — for commands that run until stopped (`run`, `broker`).
 */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number>;
  private waiters: Array<() => void> = [];

  constructor(args: readonly string[]) {
    this.child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.stdout += d;
      this.wake();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
      this.wake();
    });
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code, signal) => {
        this.wake();
        resolve(code ?? (signal ? -1 : 0));
      }),
    );
  }

  /** Resolves once stderr matches; rejects if the process exits first. */
  async waitForStderr(pattern: RegExp): Promise<void> {
    let done = false;
    void this.exited.then(() => (done = true));
    while (!pattern.test(this.stderr)) {
      if (done || this.child.exitCode !== null) throw new Error(`process exited before stderr matched ${pattern}:\n${this.stderr}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
